// Package koe holds the domain of koe, a real-time audience platform for tech
// events: events, talks, participants, questions, likes and replies, the rules
// their values obey, the error codes every layer speaks, and the Store
// interface that the SQLite and PostgreSQL packages implement.
package koe

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The HTTP layer maps each to one status in one place.
const (
	EINVALID      = "invalid_argument"   // the request is malformed or a value breaks a rule
	ENOTFOUND     = "not_found"          // the thing does not exist, or not in this scope
	ECONFLICT     = "conflict"           // the request conflicts with current state (e.g. slug taken)
	EQACLOSED     = "qa_closed"          // the talk's Q&A is closed
	EDUPLICATE    = "duplicate"          // a near-duplicate of a visible question: like that one, or ask again with duplicate_ok
	EBANNED       = "banned"             // the participant was banned from the event by its moderators
	EPASSCODE     = "passcode_required"  // joining the event needs its passcode: none given, or a wrong one
	ESIGNIN       = "sign_in_required"   // joining the event needs a sign-in with the OpenID provider
	EUNAUTHORIZED = "unauthorized"       // no valid credentials
	EFORBIDDEN    = "forbidden"          // valid credentials, not allowed
	ERATELIMIT    = "rate_limited"       // a rate limit was hit
	ETOOLARGE     = "too_large"          // the body exceeds its limit
	EMETHOD       = "method_not_allowed" // the route does not serve this method
	EUNAVAILABLE  = "unavailable"        // a dependency is down or the server is draining
	EINTERNAL     = "internal"           // a bug or an unexpected failure
)

// ErrorCodes lists every code above.
var ErrorCodes = []string{EINVALID, ENOTFOUND, ECONFLICT, EQACLOSED, EDUPLICATE, EBANNED, EPASSCODE, ESIGNIN, EUNAUTHORIZED,
	EFORBIDDEN, ERATELIMIT, ETOOLARGE, EMETHOD, EUNAVAILABLE, EINTERNAL}

// Reasons a value was rejected (Error.Reason on EINVALID): machine-readable,
// so that a client can say it in the user's language instead of showing
// the English message.
const (
	ReasonInvalidUTF8    = "invalid_utf8"          // the text is not valid UTF-8
	ReasonControlChar    = "control_character"     // a control character other than newline and tab
	ReasonDirectionChar  = "direction_control"     // a bidirectional text control (U+202A–U+202E, U+2066–U+2069, …)
	ReasonTooManyMarks   = "too_many_marks"        // more than Limit combining marks on one character
	ReasonNoVisibleChars = "no_visible_characters" // only invisible characters
	ReasonEmpty          = "empty"                 // empty (after trimming)
	ReasonTooShort       = "too_short"             // fewer than Limit characters
	ReasonTooLong        = "too_long"              // more than Limit characters
	ReasonMultiline      = "multiline"             // a newline or tab in a single-line value
	ReasonFormat         = "format"                // not of the required form (a slug, a time zone, a join code)
	ReasonOrder          = "order"                 // an end before its start
	ReasonJSON           = "json"                  // the body is not the JSON the route takes
	ReasonRefused        = "refused"               // refused by the event's moderation (a display name)
)

// Reasons lists every Reason constant above.
var Reasons = []string{ReasonInvalidUTF8, ReasonControlChar, ReasonDirectionChar, ReasonTooManyMarks, ReasonNoVisibleChars,
	ReasonEmpty, ReasonTooShort, ReasonTooLong, ReasonMultiline, ReasonFormat, ReasonOrder, ReasonJSON, ReasonRefused}

// Error is an error with a code from the list above and a message fit for
// the person who sent the request.
type Error struct {
	Code    string
	Message string
	// RetryAfter is set on ERATELIMIT: how long until the request may succeed.
	RetryAfter time.Duration
	// Field, Reason and Limit are the machine-readable details of a
	// rejected value (set by Invalid): the request field (its JSON name),
	// one of the Reason constants, and the limit it broke (0 for none).
	Field  string
	Reason string
	Limit  int
	// Similar is the visible question an EDUPLICATE question repeats.
	Similar *Question
}

// Invalid returns an EINVALID *Error with its details: field (the JSON
// name), reason (a Reason constant), limit (0 for none) and a message.
func Invalid(field, reason string, limit int, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: fmt.Sprintf(format, args...), Field: field, Reason: reason, Limit: limit}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EINTERNAL when err is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error, or a generic text for any
// other error so that internal details never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
