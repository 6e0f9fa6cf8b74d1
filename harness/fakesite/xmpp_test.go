package fakesite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/xmpps2s"
)

// TestXMPPFederation: a partner's agent reaches Webex's federation host on
// its direct TLS port and, with that port's record broken, on its STARTTLS
// port: both ports are one server, which answers over its own stream back to
// the partner (the fakes reach each other through the plan's DNS). The site
// closes without complaint.
func TestXMPPFederation(t *testing.T) {
	for _, tc := range []struct {
		faults []string
		mode   string
	}{
		{nil, "direct-tls"},
		{[]string{"xmpps-srv-dead-port"}, "starttls"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tg, err := embedded.Start(ctx, fakesite.Options{Faults: tc.faults})
			if err != nil {
				t.Fatal(err)
			}
			a := xmpps2s.Agent{Base: "https://xmpp.example.org:8443", HTTP: tg.HTTPClient(target.Outside)}
			r, err := a.Probe(ctx, xmpps2s.ProbeMessage{From: "carol@example.org", To: "alice@example.com", Body: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != "" || r.Reply != xmpps2s.EchoPrefix+"hello" || r.Mode != tc.mode || r.TLS != tc.mode || r.Auth != "external" {
				t.Errorf("want an echo over %s with EXTERNAL, got:\n%s", tc.mode, r)
			}
			if !strings.Contains(r.Connected, "fed1.webex.example.net") {
				t.Errorf("connected to %q, want fed1.webex.example.net", r.Connected)
			}
			// carol only receives: had she answered alice's answer, the two
			// would be answering each other still, on the next probe's
			// reply path too.
			r, err = a.Probe(ctx, xmpps2s.ProbeMessage{From: "carol@example.org", To: "alice@example.com", Body: "again"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Error != "" || r.Reply != xmpps2s.EchoPrefix+"again" {
				t.Errorf("second probe: want an echo, got:\n%s", r)
			}
			for _, l := range r.Evidence {
				if strings.Contains(l, xmpps2s.EchoPrefix+xmpps2s.EchoPrefix) {
					t.Errorf("an answer to an answer crossed: %s", l)
					break
				}
			}
			if err := tg.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}
