package dialback_test

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"example.com/cutover/harness/xmpps2s/dialback"
)

// TestKey replays the worked examples of XEP-0185 §4 and XEP-0220 §2.1.
func TestKey(t *testing.T) {
	for _, tc := range []struct {
		secret, recv, orig, id, want string
	}{
		{"s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F", "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"},
		{"s3cr3tf0rd14lb4ck", "montague.example", "capulet.example", "D60000229F", "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3"},
		{"d14lb4ck43v3r", "capulet.example", "montague.example", "417GAF25", "225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d"},
	} {
		if got := dialback.Key([]byte(tc.secret), tc.recv, tc.orig, tc.id); got != tc.want {
			t.Errorf("Key(%q, %q, %q, %q) = %s, want %s", tc.secret, tc.recv, tc.orig, tc.id, got, tc.want)
		}
	}
}

func decode(s string) (dialback.Element, error) {
	d := xml.NewDecoder(strings.NewReader(`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>` + s))
	if _, err := d.Token(); err != nil {
		return dialback.Element{}, err
	}
	return dialback.Decode(d)
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name, in string
		want     dialback.Element
		bad      string
	}{
		{name: "result request", in: "<db:result from='capulet.example' to='montague.example'>\n  b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3\n</db:result>",
			want: dialback.Element{From: "capulet.example", To: "montague.example", Key: "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3"}},
		{name: "verify request", in: "<db:verify from='capulet.example' id='417GAF25' to='montague.example'>225cc5aa</db:verify>",
			want: dialback.Element{Verify: true, From: "capulet.example", To: "montague.example", ID: "417GAF25", Key: "225cc5aa"}},
		{name: "valid answer", in: "<db:result from='montague.example' to='capulet.example' type='valid'/>",
			want: dialback.Element{From: "montague.example", To: "capulet.example", Type: dialback.Valid}},
		{name: "error answer", in: "<db:result from='montague.example' to='capulet.example' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>",
			want: dialback.Element{From: "montague.example", To: "capulet.example", Type: dialback.Error, Condition: "item-not-found"}},
		{name: "domains canonicalised", in: "<db:result from='Capulet.Example' to='montague.example' type='invalid'/>",
			want: dialback.Element{From: "capulet.example", To: "montague.example", Type: dialback.Invalid}},
		{name: "other prefix", in: "<x:result xmlns:x='jabber:server:dialback' from='a.example' to='b.example' type='valid'/>",
			want: dialback.Element{From: "a.example", To: "b.example", Type: dialback.Valid}},
		{name: "wrong namespace", in: "<result from='a.example' to='b.example'>k</result>", bad: "namespace"},
		{name: "wrong name", in: "<db:foo from='a.example' to='b.example'>k</db:foo>", bad: "not result or verify"},
		{name: "no from", in: "<db:result to='b.example'>k</db:result>", bad: "from"},
		{name: "from with localpart", in: "<db:result from='u@a.example' to='b.example'>k</db:result>", bad: "bare domain"},
		{name: "from with space", in: "<db:result from='a example' to='b.example'>k</db:result>", bad: "from"},
		{name: "request without key", in: "<db:result from='a.example' to='b.example'/>", bad: "without a key"},
		{name: "answer echoing the key (Prosody 0.12)", in: "<db:verify from='a.example' id='x1' to='b.example' type='valid'>f721</db:verify>",
			want: dialback.Element{Verify: true, From: "a.example", To: "b.example", ID: "x1", Type: dialback.Valid, Key: "f721"}},
		{name: "verify without id", in: "<db:verify from='a.example' to='b.example'>k</db:verify>", bad: "without id"},
		{name: "unknown type", in: "<db:result from='a.example' to='b.example' type='maybe'/>", bad: "type"},
		{name: "key with control characters", in: "<db:result from='a.example' to='b.example'>a\x01b</db:result>", bad: ""},
		{name: "oversized key", in: "<db:result from='a.example' to='b.example'>" + strings.Repeat("a", 2000) + "</db:result>", bad: "key over"},
		{name: "deep nesting", in: "<db:result from='a.example' to='b.example'>" + strings.Repeat("<x>", 10) + strings.Repeat("</x>", 10) + "</db:result>", bad: "nested"},
		{name: "unclosed", in: "<db:result from='a.example' to='b.example'>abc", bad: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := decode(tc.in)
			if tc.bad != "" || tc.want == (dialback.Element{}) {
				if !errors.Is(err, dialback.ErrMalformed) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("err = %v, want ErrMalformed mentioning %q", err, tc.bad)
				}
				return
			}
			if err != nil || e != tc.want {
				t.Fatalf("Decode = %+v, %v; want %+v", e, err, tc.want)
			}
			again, err := decode(e.String())
			if err != nil || again != e {
				t.Fatalf("re-decode of %s = %+v, %v", e, again, err)
			}
		})
	}
}

// FuzzDecode: any element never panics, errors wrap ErrMalformed, and a
// decoded element written with String decodes to the same Element.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"<db:result from='capulet.example' to='montague.example'>b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:result>",
		"<db:verify from='capulet.example' id='417GAF25' to='montague.example'>225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d</db:verify>",
		"<db:verify from='montague.example' id='417GAF25' to='capulet.example' type='valid'/>",
		"<db:result from='montague.example' to='capulet.example' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>",
		"<db:result from='a@b' to='c'/>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := decode(s)
		if err != nil {
			if !errors.Is(err, dialback.ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		again, err := decode(e.String())
		if err != nil || again != e {
			t.Fatalf("Decode(%q) = %+v; String %s re-decodes to %+v, %v", s, e, e, again, err)
		}
	})
}
