package sipreg

import (
	"errors"
	"testing"
)

func TestParseContacts(t *testing.T) {
	for _, tc := range []struct {
		name, in               string
		n                      int
		device, instance, user string
		host                   string
		expires                int // -1: absent
		star                   bool
		wantErr                bool
	}{
		{name: "TN215572 Jabber contact",
			in: `<sip:a8ae9f92-4b07-a0d7-d701-29320aed1e2e@10.10.10.10:62162;transport=tls>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-882323451234>";+u.sip!devicename.ccm.cisco.com="CSFrado";+u.sip!model.ccm.cisco.com="503";video`,
			n:  1, device: "CSFrado", instance: "urn:uuid:00000000-0000-0000-0000-882323451234",
			user: "a8ae9f92-4b07-a0d7-d701-29320aed1e2e", host: "10.10.10.10", expires: -1},
		{name: "UCM 200 contact with expires and newreg",
			in: `<sip:x@10.10.10.10:62162;transport=tls>;+u.sip!devicename.ccm.cisco.com="CSFrado";video;x-cisco-newreg;expires=120`,
			n:  1, device: "CSFrado", user: "x", host: "10.10.10.10", expires: 120},
		{name: "RFC 3261 10.2.1.1 list", in: `"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600, "Mr. Watson" <mailto:watson@bell-telephone.com> ;q=0.1`,
			n: 2, user: "watson", host: "worcester.bell-telephone.com", expires: 3600},
		{name: "addr-spec with header params", in: "sip:alice@example.com;expires=0", n: 1, user: "alice", host: "example.com", expires: 0},
		{name: "token display name", in: "Alice Smith <sip:alice@[2001:db8::1]:5061>", n: 1, user: "alice", host: "[2001:db8::1]", expires: -1},
		{name: "comma inside quotes", in: `"a, b" <sip:a@example.com>;x="1,2"`, n: 1, user: "a", host: "example.com", expires: -1},
		{name: "star", in: " * ", n: 1, star: true},
		{name: "unterminated quote", in: `<sip:a@b>;+sip.instance="<urn:uuid:1>`, wantErr: true},
		{name: "unterminated bracket", in: `<sip:a@b;transport=tls`, wantErr: true},
		{name: "no scheme", in: `<alice@example.com>`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "bad port", in: `<sip:a@b:99999>`, wantErr: true},
		{name: "junk after", in: `<sip:a@b> junk`, wantErr: true},
		{name: "empty param value", in: `<sip:a@b>;expires=`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := ParseContacts(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseContacts(%q) error = %v, want ErrMalformed", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseContacts(%q): %v", tc.in, err)
			}
			if len(cs) != tc.n {
				t.Fatalf("ParseContacts(%q): %d contacts, want %d", tc.in, len(cs), tc.n)
			}
			c := cs[0]
			if c.Star != tc.star {
				t.Fatalf("Star = %v", c.Star)
			}
			if tc.star {
				return
			}
			if c.DeviceName() != tc.device || c.Instance() != tc.instance || c.URI.User != tc.user || c.URI.Host != tc.host {
				t.Errorf("ParseContacts(%q)[0] = device %q instance %q user %q host %q", tc.in, c.DeviceName(), c.Instance(), c.URI.User, c.URI.Host)
			}
			exp, ok := c.Expires()
			if !ok {
				exp = -1
			}
			if exp != tc.expires {
				t.Errorf("expires = %d, want %d", exp, tc.expires)
			}
			again, err := ParseContacts(FormatContacts(cs))
			if err != nil || FormatContacts(again) != FormatContacts(cs) {
				t.Errorf("re-encoding %q: %q (%v)", FormatContacts(cs), FormatContacts(again), err)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	u, err := ParseURI("sip:1010@10.10.10.1;transport=tls")
	if err != nil || u.User != "1010" || u.Host != "10.10.10.1" || u.AOR() != "sip:1010@10.10.10.1" {
		t.Fatalf("ParseURI = %+v, %v", u, err)
	}
	if tr, _ := u.Param("transport"); tr != "tls" {
		t.Errorf("transport = %q", tr)
	}
	u, err = ParseURI("sips:Alice;day=tuesday@Example.COM:5061")
	if err != nil || u.User != "Alice;day=tuesday" || u.AOR() != "sips:Alice;day=tuesday@example.com" || u.Port != 5061 {
		t.Errorf("user with ';': %+v %v", u, err)
	}
	u, err = ParseURI("urn:uuid:00000000-0000-0000-0000-882323451234")
	if err != nil || u.Opaque == "" {
		t.Errorf("urn: %+v %v", u, err)
	}
	for _, bad := range []string{"", "sip:", "sip:@host", "sip:a@", "sip:a@[::1", "1sip:a@b"} {
		if _, err := ParseURI(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseURI(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}
