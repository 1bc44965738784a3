package api

import (
	"net/http"

	"github.com/koehq/koe/act"
)

// beginPasskeyRegistration answers the options for
// navigator.credentials.create, and the ceremony they belong to.
func (s *Server) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) error {
	opts, err := s.act.BeginPasskeyRegistration(r.Context(), s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, opts)
	return nil
}

// createPasskey keeps the browser's new credential as a passkey.
func (s *Server) createPasskey(w http.ResponseWriter, r *http.Request) error {
	var in act.NewPasskey
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	pk, err := s.act.FinishPasskeyRegistration(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, pk)
	return nil
}

func (s *Server) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	list, err := s.act.Passkeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"passkeys": list})
	return nil
}

func (s *Server) renamePasskey(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "passkeyID")
	if err != nil {
		return err
	}
	var in act.PasskeyRename
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	pk, err := s.act.RenamePasskey(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pk)
	return nil
}

func (s *Server) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "passkeyID")
	if err != nil {
		return err
	}
	if err := s.act.DeletePasskey(r.Context(), ids[0]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// beginPasskeySignIn answers the options for navigator.credentials.get
// (discoverable credentials: no login asked); the assertion goes to
// POST /api/v1/session.
func (s *Server) beginPasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	opts, err := s.act.BeginPasskeySignIn(r.Context(), s.client(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, opts)
	return nil
}
