package ident

import (
	"errors"
	"testing"
)

func TestEmailKey(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{"alice@example.com", "alice@example.com", false},
		{"  Alice.Smith@Example.COM ", "alice.smith@example.com", false},
		{"alice@example.com.", "alice@example.com", false},
		{"a+tag@example.com", "a+tag@example.com", false},
		{"José@exämple.org", "josé@exämple.org", false},
		{"", "", true},
		{"alice", "", true},
		{"@example.com", "", true},
		{"alice@", "", true},
		{"al ice@example.com", "", true},
		{`"Jared,""Jerry"",Smith"@test.com`, "", true},
		{"Jared, Smith@example.com", "", true},
		{"a@exa_mple.com", "", true},
		{"a@-example.com", "", true},
		{"a@example..com", "", true},
		{"a\x00@example.com", "", true},
		{"\xffa@example.com", "", true},
		{string(make([]byte, 65)) + "@example.com", "", true},
	} {
		got, err := EmailKey(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, ErrAddress) {
				t.Errorf("EmailKey(%q) = %q, %v; want an ErrAddress", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("EmailKey(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if !SameEmail("Alice@Example.com", "alice@example.COM") || SameEmail("alice@example.com", "alice@example.org") || SameEmail("x", "x") {
		t.Error("SameEmail")
	}
	if Domain("A@Example.COM") != "example.com" || Domain("nope") != "" {
		t.Error("Domain")
	}
}

func TestJID(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a      Addressing
		uid    string
		uri    string
		want   string
		errStr bool
	}{
		{"user id scheme", Addressing{SchemeUserID, "IMP.example.com"}, "ASmith", "alice.smith@example.com", "asmith@imp.example.com", false},
		{"escaped", Addressing{SchemeUserID, "example.com"}, "d'artagnan", "", `d\27artagnan@example.com`, false},
		{"space in user id escaped", Addressing{SchemeUserID, "example.com"}, "john doe", "", `john\20doe@example.com`, false},
		{"directory uri scheme", Addressing{SchemeDirectoryURI, ""}, "asmith", "Alice.Smith@Example.com", "alice.smith@example.com", false},
		{"directory uri scheme without uri", Addressing{SchemeDirectoryURI, ""}, "asmith", "", "", true},
		{"no default domain", Addressing{SchemeUserID, ""}, "asmith", "", "", true},
		{"tab in user id", Addressing{SchemeUserID, "example.com"}, "a\tb", "", "", true},
	} {
		got, err := tc.a.JID(tc.uid, tc.uri)
		if tc.errStr != (err != nil) || got != tc.want {
			t.Errorf("%s: JID(%q, %q) = %q, %v; want %q", tc.name, tc.uid, tc.uri, got, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrAddress) {
			t.Errorf("%s: %v does not wrap ErrAddress", tc.name, err)
		}
	}
}

func TestScheme(t *testing.T) {
	for in, want := range map[string]Scheme{"UserID@Default_Domain": SchemeUserID, "userid": SchemeUserID, "Directory URI": SchemeDirectoryURI, "directory_uri": SchemeDirectoryURI} {
		if got, err := ParseScheme(in); err != nil || got != want {
			t.Errorf("ParseScheme(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseScheme("flexible"); err == nil {
		t.Error("ParseScheme(flexible) accepted")
	}
}

func TestDeviceKind(t *testing.T) {
	for in, want := range map[string]string{"CSFASMITH": "CSF", "botasmith": "BOT", "TCTX": "TCT", "TABX": "TAB", "SEP001122334455": "SEP", "CSF": "other", "ATA123": "other", "": ""} {
		if got := DeviceKind(in); got != want {
			t.Errorf("DeviceKind(%q) = %q, want %q", in, got, want)
		}
	}
}
