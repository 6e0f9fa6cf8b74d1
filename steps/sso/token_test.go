package sso_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
	"example.com/cutover/steps/sso"
)

// TestAccessToken: every test user gets a UCM access token the way the
// Webex App does, UDS of the home cluster accepts it, and neither the
// token nor the password survives the target's redaction.
func TestAccessToken(t *testing.T) {
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tg.Close(); err != nil {
			t.Errorf("close fakes: %v", err)
		}
	})
	for _, u := range tg.Site.Users {
		tok, err := sso.AccessTokenFrom(ctx, tg, target.Inside, u)
		if err != nil {
			t.Fatalf("%s: %v", u.Username, err)
		}
		info, err := oauth.Inspect(tok.Access.Reveal())
		if err != nil || info.Subject != u.Username || tok.Refresh == "" {
			t.Fatalf("%s: token %+v refresh %v: %v", u.Username, info, tok.Refresh != "", err)
		}
		cl, _ := tg.Site.Cluster(u.HomeCluster)
		for _, node := range cl.Nodes {
			base := fmt.Sprintf("https://%s:%d", node, cl.Port())
			if _, _, err := ucm.NewClient(tg.HTTPClient(target.Inside)).UserDevices(ctx, base, u.Username, ucm.Auth{Bearer: tok.Access.Reveal()}); err != nil {
				t.Errorf("%s: UDS on %s with the token: %v", u.Username, node, err)
			}
		}
		out := tg.Redact(fmt.Sprintf("%s %s %s %v", tok.Access.Reveal(), tok.Refresh.Reveal(), u.Password, tok))
		for _, s := range []string{tok.Access.Reveal(), tok.Refresh.Reveal(), u.Password, strings.SplitN(tok.Access.Reveal(), ".", 2)[0]} {
			if strings.Contains(out, s) {
				t.Errorf("%s: redacted output keeps a secret: %s", u.Username, out)
			}
		}
	}
}
