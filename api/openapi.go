package api

import (
	_ "embed"
	"net/http"
)

// OpenAPIDocument is the API's OpenAPI 3 description, kept beside the
// routes; tests hold every response to it.
//
//go:embed openapi.json
var OpenAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPIDocument)
	return nil
}
