package webexid_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
	"example.com/cutover/harness/webexid"
)

var alice = idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}

func TestSignIn(t *testing.T) {
	wxMD := idp.SPMetadata("https://idbroker.example.com/example-org", "https://idbroker.example.com/idb/Consumer/metaAlias/example-org/sp")
	ip, err := idp.New(idp.WithUsers(alice), idp.WithServiceProvider(wxMD))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := idp.New(idp.WithUsers(alice), idp.WithBaseURL("https://idp2.example.net"), idp.WithServiceProvider(wxMD))
	md, _ := ip.Metadata()
	otherMD, _ := other.Metadata()
	for _, tc := range []struct {
		name    string
		opts    []webexid.Option
		prompts int
		page    string // substring of a refusal page, "" for success
	}{
		{"healthy", []webexid.Option{webexid.WithIdPMetadata(md)}, 1, ""},
		{"webex passwords (no SSO)", []webexid.Option{webexid.SSODisabled()}, 1, ""},
		{"trusts another IdP", []webexid.Option{webexid.WithIdPMetadata(otherMD), webexid.WithBaseURL("https://idbroker.example.com")}, 1, ""},
		{"user not in org", []webexid.Option{webexid.WithIdPMetadata(md), webexid.WithUsers(webexid.User{Email: "carol@example.com"})}, 1, "not a Webex user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]webexid.Option{webexid.WithUsers(webexid.User{Email: alice.Email, Password: "webex-pw"})}, tc.opts...)
			if tc.page != "" {
				opts = tc.opts
			}
			wx, err := webexid.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			site := ssotest.New(t, map[string]http.Handler{"idp.example.com": ip, "idp2.example.net": other, "idbroker.example.com": wx})
			ag, _ := sso.NewAgent(site.Client(),
				sso.WithLogin(sso.Login{URLPrefix: "https://idbroker.example.com", Username: alice.Email, Password: "webex-pw"}),
				sso.WithLogin(sso.Login{Username: "alice", Password: alice.Password}))
			res, err := ag.Get(context.Background(), wx.StartURL(alice.Email))
			if err != nil || res.Prompts != tc.prompts {
				t.Fatalf("prompts %d err %v\n%s", res.Prompts, err, res.Evidence())
			}
			if tc.page != "" {
				if res.Status != http.StatusForbidden || !strings.Contains(string(res.Body), tc.page) {
					t.Fatalf("want refusal %q, got %d %s", tc.page, res.Status, res.Body)
				}
				return
			}
			if res.Callback() == nil || wx.SignIns(alice.Email) != 1 {
				t.Fatalf("not signed in\n%s", res.Evidence())
			}
			if err := wx.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestUnexpected(t *testing.T) {
	wx, _ := webexid.New(webexid.SSODisabled())
	site := ssotest.New(t, map[string]http.Handler{"idbroker.example.com": wx})
	resp, err := site.Client().Get("https://idbroker.example.com/idb/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := wx.Close(); !errors.Is(err, webexid.ErrUnexpected) {
		t.Fatalf("Close = %v", err)
	}
	if _, err := webexid.New(); err == nil {
		t.Error("New without IdP metadata accepted")
	}
}
