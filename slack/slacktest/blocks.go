package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf16"
)

// CheckBlocks checks a message's blocks against Block Kit's documented
// limits for the blocks and elements koe sends (header, section,
// context, actions, divider; buttons, confirmation dialogs, text
// objects), as Slack does before it answers "invalid_blocks". Other
// block types are accepted as they are.
func CheckBlocks(raw json.RawMessage) error {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks must be an array of objects: %w", err)
	}
	if len(blocks) == 0 || len(blocks) > 50 {
		return fmt.Errorf("a message has 1 to 50 blocks, not %d", len(blocks))
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		if id, ok := b["block_id"]; ok {
			s, ok := id.(string)
			if !ok || s == "" || utf16Len(s) > 255 || ids[s] {
				return fmt.Errorf("block %d: block_id must be a unique string of 1 to 255 characters", i)
			}
			ids[s] = true
		}
		if err := checkBlock(b); err != nil {
			return fmt.Errorf("block %d (%v): %w", i, b["type"], err)
		}
	}
	return nil
}

func checkBlock(b map[string]any) error {
	switch b["type"] {
	case "header":
		return checkText(b["text"], "plain_text", 150)
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"]
		if !hasText && !hasFields {
			return errors.New("a section needs text or fields")
		}
		if hasText {
			if err := checkText(b["text"], "", 3000); err != nil {
				return fmt.Errorf("text: %w", err)
			}
		}
		if hasFields {
			fs, ok := fields.([]any)
			if !ok || len(fs) == 0 || len(fs) > 10 {
				return errors.New("fields must be 1 to 10 text objects")
			}
			for _, f := range fs {
				if err := checkText(f, "", 2000); err != nil {
					return fmt.Errorf("field: %w", err)
				}
			}
		}
		if acc, ok := b["accessory"]; ok {
			return checkElement(acc)
		}
	case "context":
		els, ok := b["elements"].([]any)
		if !ok || len(els) == 0 || len(els) > 10 {
			return errors.New("elements must be 1 to 10 text or image objects")
		}
		for _, e := range els {
			m, _ := e.(map[string]any)
			if m["type"] == "image" {
				continue
			}
			if err := checkText(e, "", 3000); err != nil {
				return err
			}
		}
	case "actions":
		els, ok := b["elements"].([]any)
		if !ok || len(els) == 0 || len(els) > 25 {
			return errors.New("elements must be 1 to 25 interactive elements")
		}
		var ids []string
		for _, e := range els {
			if err := checkElement(e); err != nil {
				return err
			}
			id, _ := e.(map[string]any)["action_id"].(string)
			if id != "" && slices.Contains(ids, id) {
				return fmt.Errorf("action_id %q is used twice", id)
			}
			ids = append(ids, id)
		}
	case "divider":
	case nil:
		return errors.New("a block needs a type")
	}
	return nil
}

// checkElement checks a button (other elements are accepted).
func checkElement(v any) error {
	e, ok := v.(map[string]any)
	if !ok {
		return errors.New("an element must be an object")
	}
	if e["type"] != "button" {
		return nil
	}
	if err := checkText(e["text"], "plain_text", 75); err != nil {
		return fmt.Errorf("button text: %w", err)
	}
	if err := checkString(e, "action_id", 255); err != nil {
		return err
	}
	if err := checkString(e, "value", 2000); err != nil {
		return err
	}
	if err := checkString(e, "url", 3000); err != nil {
		return err
	}
	if err := checkStyle(e); err != nil {
		return err
	}
	if c, ok := e["confirm"]; ok {
		m, ok := c.(map[string]any)
		if !ok {
			return errors.New("confirm must be an object")
		}
		for _, f := range []struct {
			name  string
			limit int
		}{{"title", 100}, {"text", 300}, {"confirm", 30}, {"deny", 30}} {
			if err := checkText(m[f.name], "plain_text", f.limit); err != nil {
				return fmt.Errorf("confirm %s: %w", f.name, err)
			}
		}
		return checkStyle(m)
	}
	return nil
}

func checkStyle(m map[string]any) error {
	if s, ok := m["style"]; ok && s != "primary" && s != "danger" {
		return fmt.Errorf("style must be primary or danger, not %v", s)
	}
	return nil
}

// checkString checks an optional string field's length (0 < n ≤ limit).
func checkString(m map[string]any, field string, limit int) error {
	v, ok := m[field]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok || s == "" || utf16Len(s) > limit {
		return fmt.Errorf("%s must be a string of 1 to %d characters", field, limit)
	}
	return nil
}

// checkText checks a text object: of type typ ("" for either), with text
// of 1 to limit characters, emoji only on plain_text.
func checkText(v any, typ string, limit int) error {
	t, ok := v.(map[string]any)
	if !ok {
		return errors.New("a text object is required")
	}
	switch t["type"] {
	case "plain_text":
	case "mrkdwn":
		if _, ok := t["emoji"]; ok {
			return errors.New("emoji is for plain_text only")
		}
	default:
		return fmt.Errorf("text type must be plain_text or mrkdwn, not %v", t["type"])
	}
	if typ != "" && t["type"] != typ {
		return fmt.Errorf("text must be %s", typ)
	}
	s, ok := t["text"].(string)
	if !ok || s == "" || utf16Len(s) > limit {
		return fmt.Errorf("text must be 1 to %d characters", limit)
	}
	return nil
}

// utf16Len is a string's length as Slack counts it.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
