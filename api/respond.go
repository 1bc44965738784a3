package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 64 << 10

// statusOf maps error codes to HTTP statuses: the one place that does.
func statusOf(code string) int {
	switch code {
	case koe.EINVALID:
		return http.StatusBadRequest
	case koe.EUNAUTHORIZED, koe.EPASSCODE, koe.ESIGNIN:
		return http.StatusUnauthorized
	case koe.EFORBIDDEN, koe.EBANNED:
		return http.StatusForbidden
	case koe.ENOTFOUND:
		return http.StatusNotFound
	case koe.ECONFLICT, koe.EQACLOSED, koe.EDUPLICATE:
		return http.StatusConflict
	case koe.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case koe.EMETHOD:
		return http.StatusMethodNotAllowed
	case koe.ERATELIMIT:
		return http.StatusTooManyRequests
	case koe.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// The details of a rejected value (koe.Invalid), for clients to word
	// the error in their user's language.
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	// The visible question a duplicate repeats (EDUPLICATE).
	Similar *koe.Question `json:"similar,omitempty"`
}

// writeJSON renders v with status: the one place that renders JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // JSON is never parsed as HTML here, and the CSP forbids inline script
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError renders err as {"error":{…}}. Errors that are not *koe.Error
// are logged and answered 500 without their details.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := koe.ErrorCode(err)
	var ke *koe.Error
	if errors.As(err, &ke) && ke.RetryAfter > 0 {
		secs := int(ke.RetryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if code == koe.EINTERNAL {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("error", err.Error()))
	}
	body := errorBody{Code: code, Message: koe.ErrorMessage(err)}
	if ke != nil && code != koe.EINTERNAL {
		body.Field, body.Reason, body.Limit, body.Similar = ke.Field, ke.Reason, ke.Limit, ke.Similar
	}
	writeJSON(w, statusOf(code), errorResponse{Error: body})
}

// decodeJSON reads one JSON object into dst: sent as application/json, at
// most MaxBodyBytes, no unknown fields, nothing after it.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeJSONUpTo(w, r, dst, MaxBodyBytes)
}

// decodeJSONUpTo is decodeJSON for a body of at most limit bytes.
func decodeJSONUpTo(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return koe.Errorf(koe.EINVALID, "Content-Type must be application/json")
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	return decodeBody(body, dst)
}

// decodeBody is the part of decodeJSON that the fuzz tests drive.
func decodeBody(body []byte, dst any) error {
	// An object, not null or anything else that would decode to "nothing".
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return koe.Errorf(koe.EINVALID, "invalid JSON body: must be a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(dst); err != nil {
		return koe.Invalid(jsonField(err), koe.ReasonJSON, 0, "invalid JSON body: %s", jsonProblem(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return koe.Errorf(koe.EINVALID, "invalid JSON body: unexpected data after the object")
	}
	return nil
}

// jsonField names the field a decoding error is about, when it says.
func jsonField(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return typ.Field
	}
	if f, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		if f, ok = strings.CutSuffix(f, `"`); ok && len(f) <= 64 {
			return f
		}
	}
	return ""
}

// jsonProblem describes a decoding error without echoing the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return "field " + strconv.Quote(typ.Field) + " must be " + typ.Type.String()
		}
		return "must be a JSON object"
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg // e.g. `json: unknown field "x"`, or a time that is not RFC 3339
}
