package bluesky

// CursorForTest is a cursor's parts, for tests.
type CursorForTest = position

// ParseCursorForTest parses a cursor.
func ParseCursorForTest(s string) (CursorForTest, error) { return parsePosition(s) }
