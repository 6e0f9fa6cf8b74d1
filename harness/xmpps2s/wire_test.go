package xmpps2s

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// pipeWire is a wire reading input from a pipe the test writes to.
func pipeWire(t testing.TB, input string, limit int) *wire {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	go func() {
		_, _ = b.Write([]byte(input))
		b.Close()
	}()
	_ = a.SetDeadline(time.Now().Add(testTimeout))
	return newWire(a, limit)
}

const goodHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='Example.NET' to='example.com' id='abc' version='1.0'>`

func TestReadHeader(t *testing.T) {
	cases := []struct {
		name, in string
		cond     string // "" = accepted
		err      error
	}{
		{"good", goodHeader, "", nil},
		{"no declaration, other prefix", `<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server' to='example.com' version='1.0'>`, "", nil},
		{"client namespace", `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>`, "invalid-namespace", ErrProtocol},
		{"wrong root", `<html xmlns='jabber:server'>`, "invalid-namespace", ErrMalformed},
		{"no version", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>`, "unsupported-version", ErrProtocol},
		{"version 0.9", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='0.9'>`, "unsupported-version", ErrProtocol},
		{"from with localpart", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='u@example.net' to='example.com' version='1.0'>`, "improper-addressing", ErrJID},
		{"from with space", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='exa mple.net' to='example.com' version='1.0'>`, "improper-addressing", ErrJID},
		{"garbage", "\x00\x01 hello", "not-well-formed", ErrMalformed},
		{"text first", "hello <stream:stream>", "not-well-formed", ErrMalformed},
		{"doctype", `<!DOCTYPE x><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`, "not-well-formed", ErrMalformed},
		{"oversized", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' x='` + strings.Repeat("a", 5000) + `'>`, "policy-violation", ErrTooLarge},
		{"early close", `<stream:stream xmlns='jab`, "", ErrClosed},
		{"empty", ``, "", ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := pipeWire(t, tc.in, defaultLimit).readHeader()
			if tc.err == nil {
				if err != nil {
					t.Fatalf("readHeader: %v", err)
				}
				if h.To != "example.com" {
					t.Errorf("to %q", h.To)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.cond != "" && conditionOf(err) != tc.cond {
				t.Errorf("condition %q, want %q (%v)", conditionOf(err), tc.cond, err)
			}
		})
	}
	h, err := pipeWire(t, goodHeader, defaultLimit).readHeader()
	if err != nil || h.From != "example.net" || !h.DB || h.ID != "abc" || !bytes.Equal(h.Raw, []byte(goodHeader)) {
		t.Fatalf("header %+v err %v", h, err)
	}
}

func TestNext(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // local name of the element, or ""
		err      error
		cond     string
	}{
		{"message", `<message to='a@example.com'><body>hi</body></message>`, "message", nil, ""},
		{"whitespace keepalive first", "  \n <message/>", "message", nil, ""},
		{"stream error", `<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>go away</text></stream:error>`, "", ErrPolicy, ""},
		{"stream end", `</stream:stream>`, "", ErrClosed, ""},
		{"disconnect inside", `<message><body>hi`, "", ErrClosed, ""},
		{"comment", `<!-- hi --><message/>`, "", ErrMalformed, "restricted-xml"},
		{"processing instruction", `<?php x?>`, "", ErrMalformed, "restricted-xml"},
		{"text at top", `hello`, "", ErrMalformed, "not-well-formed"},
		{"mismatched", `<message></iq>`, "", ErrMalformed, "not-well-formed"},
		{"undeclared prefix", `<x:y/>`, "y", nil, ""},
		{"too deep", strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40), "", ErrMalformed, "not-well-formed"},
		{"oversized", `<message><body>` + strings.Repeat("x", 2000) + `</body></message>`, "", ErrTooLarge, "policy-violation"},
		{"entity bomb", `<message><body>&lol;</body></message>`, "", ErrMalformed, "not-well-formed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := pipeWire(t, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"+tc.in, 1024)
			if _, err := w.readHeader(); err != nil {
				t.Fatal(err)
			}
			el, err := w.next()
			if tc.err == nil {
				if err != nil || el.start.Name.Local != tc.want {
					t.Fatalf("next = %v, %v; want <%s>", el, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.cond != "" && conditionOf(err) != tc.cond {
				t.Errorf("condition %q, want %q", conditionOf(err), tc.cond)
			}
		})
	}
	w := pipeWire(t, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>\n<message id='1'><body>a &amp; b</body></message>", 1024)
	_, _ = w.readHeader()
	el, err := w.next()
	if err != nil || el.raw != "<message id='1'><body>a &amp; b</body></message>" || parseStanza(el).Body != "a & b" {
		t.Fatalf("raw %q err %v", el.raw, err)
	}
}

// FuzzReadHeader: any bytes as the opening of a stream never panic;
// errors wrap the package sentinels; an accepted header written back with
// headerXML reads back the same.
func FuzzReadHeader(f *testing.F) {
	f.Add([]byte(goodHeader))
	f.Add([]byte(`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>`))
	f.Add([]byte(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`))
	f.Add([]byte("\x00garbage"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := pipeWire(t, string(in), defaultLimit).readHeader()
		if err != nil {
			for _, s := range []error{ErrMalformed, ErrProtocol, ErrJID, ErrTooLarge, ErrClosed} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		again, err := pipeWire(t, headerXML(h.From, h.To, h.ID, h.DB), defaultLimit).readHeader()
		if err != nil {
			t.Fatalf("re-read %+v: %v", h, err)
		}
		if again.From != h.From || again.To != h.To || again.ID != h.ID || again.DB != h.DB {
			t.Fatalf("re-read %+v, want %+v", again, h)
		}
	})
}

// FuzzNext: any bytes after a valid header never panic and end in a
// sentinel error; every element read re-encodes (as tokens) and reads
// back with the same name and text.
func FuzzNext(f *testing.F) {
	f.Add([]byte(`<message to='a@example.com' from='b@example.net'><body>hi</body><thread>t</thread></message>`))
	f.Add([]byte(`<db:result from='example.net' to='example.com'>abc</db:result>`))
	f.Add([]byte(`<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`))
	f.Add([]byte(`<!-- x --></stream:stream>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		w := pipeWire(t, goodHeader+string(in), 2048)
		if _, err := w.readHeader(); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			el, err := w.next()
			if err != nil {
				var se *StreamError
				for _, s := range []error{ErrMalformed, ErrTooLarge, ErrClosed} {
					if errors.Is(err, s) {
						return
					}
				}
				if errors.As(err, &se) {
					return
				}
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			_ = parseStanza(el)
			text := encodeTokens(collect(el.reader()))
			w2 := pipeWire(t, goodHeader+text, 1<<20)
			if _, err := w2.readHeader(); err != nil {
				t.Fatal(err)
			}
			el2, err := w2.next()
			if err != nil {
				t.Fatalf("re-read %q: %v", text, err)
			}
			if el2.start.Name != el.start.Name || el2.text() != el.text() {
				t.Fatalf("re-read %q: <%v> %q, want <%v> %q", text, el2.start.Name, el2.text(), el.start.Name, el.text())
			}
		}
	})
}

// FuzzParseAddress: JIDs from stanzas and headers (RFC 7622 via
// mellium.im/xmpp/jid) never panic, errors wrap ErrJID, and what parses is
// stable: its string form parses to an equal JID.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"alice@example.com", "example.com", "alice@example.com/phone", "a@b@c", "al ice@example.com",
		"\"q\"@example.com", "user@exa mple.com", "@example.com", "example.com/", "ünïcode@exämple.com", "a\x00b@example.com", "<x>@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrJID) {
				t.Fatalf("ParseAddress(%q) error does not wrap ErrJID: %v", s, err)
			}
			return
		}
		again, err := ParseAddress(j.String())
		if err != nil || !again.Equal(j) {
			t.Fatalf("ParseAddress(%q) = %q, re-parse %q, %v", s, j, again, err)
		}
		if d, err := ParseDomain(j.Domainpart()); err != nil || d != j.Domainpart() {
			t.Fatalf("domain of %q: %q, %v", j, d, err)
		}
	})
}

// TestAddressInvalidCharacters lists RFC 7622 violations that must be
// refused.
func TestAddressInvalidCharacters(t *testing.T) {
	for _, s := range []string{
		"", "a@b@example.com", `"q"@example.com`, "a&b@example.com", "a'b@example.com", "a:b@example.com",
		"a<b@example.com", "a>b@example.com", "al ice@example.com", "@example.com", "alice@", "alice@exa mple.com",
		"alice@example.com/", "a\x00b@example.com", "alice@<example>.com", strings.Repeat("a", 1024) + "@example.com",
		"..", "alice@a..example.com", "alice@example.com:5269", "alice@[192.0.2.1]", "alice@[example.com]",
	} {
		if _, err := ParseAddress(s); !errors.Is(err, ErrJID) {
			t.Errorf("ParseAddress(%q) = %v, want ErrJID", s, err)
		}
	}
	for _, s := range []string{"alice@example.com", "alice@example.com/phone 1", "example.com", "ünïcode@example.com", "alice@[2001:db8::1]", "example.com."} {
		if _, err := ParseAddress(s); err != nil {
			t.Errorf("ParseAddress(%q): %v", s, err)
		}
	}
	if d, err := ParseDomain("EXAMPLE.com"); err != nil || d != "example.com" {
		t.Errorf("ParseDomain(EXAMPLE.com) = %q, %v", d, err)
	}
	for _, s := range []string{"alice@example.com", "example.com/r", "exa mple.com"} {
		if _, err := ParseDomain(s); !errors.Is(err, ErrJID) {
			t.Errorf("ParseDomain(%q) = %v, want ErrJID", s, err)
		}
	}
}
