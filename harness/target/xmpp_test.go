package target_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
)

const xmppSection = `xmpp:
  cutover: after
  webex_hosts: [fed1.webex.example.net]
  partners:
    - {domain: example.org, policy: allowed, agent: "https://xmpp.example.org:8443", user: carol}
    - {domain: blocked.example.org, policy: blocked, agent: "https://blocked.example.org:8443"}
`

// loadWith loads the lab example with extra appended.
func loadWith(t *testing.T, extra string) (*target.Site, string, error) {
	t.Helper()
	base, err := os.ReadFile(labExample(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca, _ := pki.NewCA("t")
	os.WriteFile(filepath.Join(dir, "lab-example.ca.pem"), ca.CertPEM, 0o644)
	p := filepath.Join(dir, "site.yaml")
	os.WriteFile(p, append(base, []byte(extra)...), 0o644)
	s, err := target.LoadFile(p, fullEnv)
	return s, p, err
}

func TestXMPPSection(t *testing.T) {
	s, _, err := loadWith(t, xmppSection)
	if err != nil {
		t.Fatal(err)
	}
	x := s.XMPP
	if !x.Configured() || x.Domain != s.Domains.IMP {
		t.Errorf("want the section configured with domain %s (domains.imp), got %+v", s.Domains.IMP, x)
	}
	if got := x.FederationHosts(); len(got) != 1 || got[0] != "fed1.webex.example.net" {
		t.Errorf("after the cutover want the Webex hosts, got %v", got)
	}
	if got := x.PartnersBy(target.PolicyBlocked); len(got) != 1 || got[0].Address() != "cutover@blocked.example.org" {
		t.Errorf("blocked partners: %+v", got)
	}
	if got := x.JIDOf(s.Users[0]); got != "alice@"+x.Domain {
		t.Errorf("JID of alice: %s", got)
	}
	// The partners and the Webex host are inside the site boundary.
	tg := target.New(s)
	for _, h := range []string{"xmpp.example.org", "fed1.webex.example.net"} {
		if err := tg.CredentialTo("xmpps", h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
}

func TestXMPPSectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, edit, field, msg string
	}{
		{"bad phase", "cutover: during", "xmpp.cutover", `want "before" or "after"`},
		{"no webex hosts after", "webex_hosts: []", "xmpp.webex_hosts", "required after the cutover"},
		{"partner is the org", "domain: example.org, policy: allowed", "xmpp.partners[0].domain", "the org's own XMPP domain"},
		{"agent over http", `agent: "https://xmpp.example.org:8443"`, "xmpp.partners[0].agent", "https:// URL"},
		{"bad policy", "policy: blocked,", "xmpp.partners[1].policy", `want "allowed" or "blocked"`},
		{"bad user", "user: carol", "xmpp.partners[0].user", "JID local part"},
		{"unknown key", "cutover: after", "xmpp.cutover_date", "unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sec := xmppSection
			switch tc.name {
			case "partner is the org":
				sec = strings.Replace(sec, tc.edit, "domain: example.com, policy: allowed", 1)
			case "agent over http":
				sec = strings.Replace(sec, tc.edit, `agent: "http://xmpp.example.org:8443"`, 1)
			case "bad policy":
				sec = strings.Replace(sec, tc.edit, "policy: open,", 1)
			case "bad user":
				sec = strings.Replace(sec, tc.edit, "user: carol@example.org", 1)
			case "unknown key":
				sec = strings.Replace(sec, tc.edit, "cutover: after\n  cutover_date: tomorrow", 1)
			default:
				key, _, _ := strings.Cut(tc.edit, ":")
				lines := strings.Split(sec, "\n")
				for i, l := range lines {
					if strings.HasPrefix(strings.TrimSpace(l), key+":") {
						lines[i] = "  " + tc.edit
					}
				}
				sec = strings.Join(lines, "\n")
			}
			_, p, err := loadWith(t, sec)
			var le *target.LoadError
			if !errors.Is(err, target.ErrConfig) || !errors.As(err, &le) {
				t.Fatalf("want a configuration error, got %v", err)
			}
			for _, fe := range le.Errs {
				if fe.File == p && fe.Line > 0 && fe.Field == tc.field && strings.Contains(fe.Msg, tc.msg) {
					return
				}
			}
			t.Fatalf("want %s: field %s: …%s…, got:\n%v", p, tc.field, tc.msg, err)
		})
	}
}
