// Package setuptoken is how both stores keep the one-time setup token in
// their secrets: its expiry (Unix microseconds, 8 bytes big-endian), then
// the token.
package setuptoken

import (
	"crypto/subtle"
	"encoding/binary"
	"time"
)

// Name is the secret's name.
const Name = "setup-token"

// Value encodes a token and its expiry.
func Value(token string, expires time.Time) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(expires.UnixMicro())), token...)
}

// Split decodes a value; "" for none.
func Split(value []byte) (string, time.Time) {
	if len(value) <= 8 {
		return "", time.Time{}
	}
	return string(value[8:]), time.UnixMicro(int64(binary.BigEndian.Uint64(value))).UTC()
}

// Valid reports whether value holds token, unexpired at now.
func Valid(value []byte, token string, now time.Time) bool {
	stored, expires := Split(value)
	return stored != "" && subtle.ConstantTimeCompare([]byte(stored), []byte(token)) == 1 && now.Before(expires)
}
