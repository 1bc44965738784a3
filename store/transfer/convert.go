package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// supported reports whether convert handles PostgreSQL type udt.
func supported(udt string) bool {
	switch udt {
	case "int8", "int4", "int2", "bool", "timestamptz", "text", "varchar", "bpchar", "jsonb", "json", "bytea", "float8", "float4":
		return true
	}
	return false
}

// convert turns v, a value as database/sql reads it from SQLite (int64,
// float64, string, []byte or nil), into the Go value pgx writes to a
// column of type udt. The SQLite store keeps times as Unix microseconds,
// booleans as 0/1 and JSON as text.
func convert(udt string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch udt {
	case "int8":
		return asInt(v, math.MinInt64, math.MaxInt64)
	case "int4":
		n, err := asInt(v, math.MinInt32, math.MaxInt32)
		return int32(n), err
	case "int2":
		n, err := asInt(v, math.MinInt16, math.MaxInt16)
		return int16(n), err
	case "bool":
		n, err := asInt(v, 0, 1)
		if err != nil {
			return nil, fmt.Errorf("a boolean must be 0 or 1, not %v", v)
		}
		return n == 1, nil
	case "timestamptz":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("a time must be an integer of Unix microseconds, not %T", v)
		}
		t := time.UnixMicro(n).UTC()
		if y := t.Year(); y < -4712 || y > 294275 {
			return nil, fmt.Errorf("time %d µs is outside PostgreSQL's range", n)
		}
		return t, nil
	case "text", "varchar", "bpchar":
		s, err := asString(v)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "jsonb", "json":
		s, err := asString(v)
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("not valid JSON: %.40q", s)
		}
		return s, nil
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("bytes expected, not %T", v)
	case "float8", "float4":
		switch f := v.(type) {
		case float64:
			return f, nil
		case int64:
			return float64(f), nil
		}
		return nil, fmt.Errorf("a number expected, not %T", v)
	}
	return nil, fmt.Errorf("type %s is not converted", udt)
}

func asInt(v any, lo, hi int64) (int64, error) {
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("an integer expected, not %T", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("integer %d out of range", n)
	}
	return n, nil
}

func asString(v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return "", fmt.Errorf("text expected, not %T", v)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("text is not valid UTF-8: %.40q", s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("text holds a NUL character, which PostgreSQL cannot store: %.40q", s)
	}
	return s, nil
}

// equal compares a converted SQLite value with the value pgx read back
// from a column of type udt (JSON read back as text).
func equal(udt string, want, got any) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	switch udt {
	case "int8", "int4", "int2":
		a, ok1 := toInt64(want)
		b, ok2 := toInt64(got)
		return ok1 && ok2 && a == b
	case "timestamptz":
		a, ok1 := want.(time.Time)
		b, ok2 := got.(time.Time)
		return ok1 && ok2 && a.Equal(b)
	case "bytea":
		a, ok1 := want.([]byte)
		b, ok2 := got.([]byte)
		return ok1 && ok2 && bytes.Equal(a, b)
	case "jsonb", "json":
		a, ok1 := want.(string)
		b, ok2 := got.(string)
		return ok1 && ok2 && sameJSON(a, b)
	case "float4":
		a, ok1 := want.(float64)
		b, ok2 := got.(float32)
		return ok1 && ok2 && float32(a) == b
	}
	return want == got
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	}
	return 0, false
}

// sameJSON reports whether two JSON texts hold the same value: jsonb
// keeps neither the spacing nor the order of keys, and writes numbers its
// own way.
func sameJSON(a, b string) bool {
	va, err1 := decodeJSON(a)
	vb, err2 := decodeJSON(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(va, vb)
}

func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v), nil
}

// jsonNumber is a number, apart from any string.
type jsonNumber string

// normalizeNumbers replaces every json.Number by its exact rational value.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		// A huge exponent would make a huge rational: compare such
		// numbers (which PostgreSQL refuses anyway) as written.
		if i := strings.IndexAny(string(x), "eE"); i >= 0 {
			if e, err := strconv.Atoi(string(x)[i+1:]); err != nil || e > 1000 || e < -1000 {
				return jsonNumber(x)
			}
		}
		r, ok := new(big.Rat).SetString(string(x))
		if !ok {
			return jsonNumber(x)
		}
		return jsonNumber(r.RatString())
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	}
	return v
}

// show formats a value for an error message.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		if len(x) > 24 {
			return fmt.Sprintf("%x… (%d bytes)", x[:24], len(x))
		}
		return fmt.Sprintf("%x", x)
	case string:
		return fmt.Sprintf("%.80q", x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
