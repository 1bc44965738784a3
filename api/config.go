package api

import "net/http"

// clientConfig tells the web UI what it needs of the installation: the
// base URL of join links.
func (s *Server) clientConfig(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.act.ClientConfig(r.Context()))
	return nil
}
