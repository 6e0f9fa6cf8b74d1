package webex

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseMessages holds the response parsers to their promises: no
// panic, every error wraps ErrSyntax, and what parses re-encodes stably
// (json.Marshal of the items parses to the same items). Seeds:
// testdata/fuzz/FuzzParseMessages.
func FuzzParseMessages(f *testing.F) {
	f.Add([]byte(`{"items":[{"id":"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ","roomId":"r","roomType":"direct","text":"hi","personId":"p","personEmail":"a@example.com","created":"2026-03-01T09:00:00Z"}]}`))
	f.Add([]byte(`{"id":"x","roomId":"r","roomType":"group","files":["https://example.com/f"],"personId":"p","personEmail":"a@example.com","created":"2026-03-01T09:00:00.123Z"}`))
	f.Add([]byte(`{"items":[{"id":"p","emails":["a@example.com"],"status":"active","lastActivity":"2026-03-01T09:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ms, err := ParseMessages(b); err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseMessages: %v does not wrap ErrSyntax", err)
			}
		} else {
			again, err := json.Marshal(struct {
				Items []Message `json:"items"`
			}{ms})
			if err != nil {
				t.Fatal(err)
			}
			ms2, err := ParseMessages(again)
			if err != nil || !reflect.DeepEqual(norm(ms2), norm(ms)) {
				t.Fatalf("re-encoded %s parses as %+v, %v; want %+v", again, ms2, err, ms)
			}
		}
		if m, err := ParseMessage(b); err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseMessage: %v does not wrap ErrSyntax", err)
			}
		} else {
			again, _ := json.Marshal(m)
			m2, err := ParseMessage(again)
			if err != nil || !reflect.DeepEqual(norm([]Message{m2}), norm([]Message{m})) {
				t.Fatalf("re-encoded %s parses as %+v, %v; want %+v", again, m2, err, m)
			}
		}
		if _, err := ParsePeople(b); err != nil && !errors.Is(err, ErrSyntax) {
			t.Fatalf("ParsePeople: %v does not wrap ErrSyntax", err)
		}
	})
}

// norm makes empty and nil file lists, and equal instants, compare equal.
func norm(ms []Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		if len(m.Files) == 0 {
			m.Files = nil
		}
		m.Created = m.Created.UTC()
		out[i] = m
	}
	return out
}
