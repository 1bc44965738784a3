package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/webhook"
)

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.Sources(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": nonNil(list)})
	return nil
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "sourceID")
	if err != nil {
		return err
	}
	src, err := s.act.Source(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.SourceInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	src, err := s.act.CreateSource(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, src)
	return nil
}

func (s *Server) updateSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "sourceID")
	if err != nil {
		return err
	}
	var in act.SourceInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	src, err := s.act.UpdateSource(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) renewSourceSecret(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "sourceID")
	if err != nil {
		return err
	}
	src, err := s.act.RenewSourceSecret(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "sourceID")
	if err != nil {
		return err
	}
	if err := s.act.DeleteSource(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listPosts(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.act.Posts(r.Context(), ids[0], act.PostListQuery{Status: q.Get("status"), Before: q.Get("before"), Limit: q.Get("limit")})
	if err != nil {
		return err
	}
	list.Posts = nonNil(list.Posts)
	writeJSON(w, http.StatusOK, list)
	return nil
}

func (s *Server) getPost(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "postID")
	if err != nil {
		return err
	}
	p, err := s.act.Post(r.Context(), ids[0], ids[1])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) updatePost(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "postID")
	if err != nil {
		return err
	}
	var in act.PostPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.act.UpdatePost(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) engagePost(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "postID")
	if err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.act.EngagePost(r.Context(), ids[0], ids[1], in.Action)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) featured(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	f, err := s.act.Featured(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// ingestWebhook takes a signed delivery of posts: the signature covers
// the raw body, so it is read whole (up to ingest.MaxWebhookBody) before
// anything decodes it.
func (s *Server) ingestWebhook(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "sourceID")
	if err != nil {
		return err
	}
	body, err := readBody(w, r, ingest.MaxWebhookBody)
	if err != nil {
		return err
	}
	res, err := s.act.IngestWebhook(r.Context(), ids[0], r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// readBody reads a request's raw body, of at most limit bytes: what a
// signature is checked over.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, koe.Errorf(koe.ETOOLARGE, "request body exceeds %d bytes", limit)
		}
		return nil, koe.Errorf(koe.EINVALID, "could not read the request body")
	}
	return body, nil
}
