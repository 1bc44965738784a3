package api

import (
	"net/http"

	"github.com/koehq/koe/act"
)

// Outbound webhooks: an event's subscriptions, their delivery logs and
// redelivery (owners only).

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.Webhooks(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": nonNil(list)})
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.WebhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	hook, err := s.act.CreateWebhook(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	hook, err := s.act.Webhook(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	var in act.WebhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	hook, err := s.act.UpdateWebhook(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	if err := s.act.DeleteWebhook(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) renewWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	hook, err := s.act.RenewWebhookSecret(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) pingWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	d, err := s.act.PingWebhook(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := s.act.WebhookDeliveries(r.Context(), ids[0], ids[1], act.DeliveryFilter{State: q.Get("state"), Before: q.Get("before"), Limit: q.Get("limit")})
	if err != nil {
		return err
	}
	page.Deliveries = nonNil(page.Deliveries)
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "webhookID", "deliveryID")
	if err != nil {
		return err
	}
	d, err := s.act.Redeliver(r.Context(), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
