package sso_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
	"example.com/cutover/harness/webexid"
)

// TestInteropSimpleSAMLphp runs against the SimpleSAMLphp that
// scripts/interop-simplesamlphp.sh starts; see that script.
func TestInteropSimpleSAMLphp(t *testing.T) {
	base := os.Getenv("CUTOVER_INTEROP_SIMPLESAMLPHP")
	if base == "" {
		t.Skip("set CUTOVER_INTEROP_SIMPLESAMLPHP (scripts/interop-simplesamlphp.sh does)")
	}
	bu, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(bu.Host, "127.") {
		t.Fatalf("CUTOVER_INTEROP_SIMPLESAMLPHP %q: want http://127.x.x.x:port", base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	get := func(hc *http.Client, u string) []byte {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		return b
	}
	plain := &http.Client{Timeout: 10 * time.Second}

	t.Run("SimpleSAMLphp IdP signs a user in to Webex", func(t *testing.T) {
		md := get(plain, base+"/saml2/idp/metadata.php")
		wx, err := webexid.New(webexid.WithIdPMetadata(md), webexid.WithUsers(webexid.User{Email: "alice@example.com"}))
		if err != nil {
			t.Fatal(err)
		}
		site := ssotest.New(t, map[string]http.Handler{"idbroker.example.com": wx})
		login := func(pw string) sso.Login {
			// SimpleSAMLphp's loginuserpass page names its fields username and password.
			return sso.Login{URLPrefix: base, UsernameField: "username", PasswordField: "password", Username: "alice", Password: pw}
		}
		ag, err := sso.NewAgent(site.ClientPassing(bu.Host), sso.WithLogin(login("Wonderland-1")))
		if err != nil {
			t.Fatal(err)
		}
		res, err := ag.Get(ctx, wx.StartURL("alice@example.com"))
		if err != nil || res.Callback() == nil || res.Prompts != 1 {
			t.Fatalf("sign-in: prompts %d, err %v\n%s\n%.500s", res.Prompts, err, res.Evidence(), res.Body)
		}
		if got := res.Callback().Query().Get("email"); got != "alice@example.com" || wx.SignIns("alice@example.com") != 1 {
			t.Fatalf("signed in as %q", got)
		}
		t.Logf("signed in through SimpleSAMLphp:\n%s", res.Evidence())

		bad, err := sso.NewAgent(site.ClientPassing(bu.Host), sso.WithLogin(login("not-the-password")))
		if err != nil {
			t.Fatal(err)
		}
		res, err = bad.Get(ctx, wx.StartURL("alice@example.com"))
		if !errors.Is(err, sso.ErrSignInFailed) {
			t.Fatalf("wrong password: want ErrSignInFailed, got %v\n%s", err, res.Evidence())
		}
		if strings.Contains(res.Evidence()+err.Error(), "not-the-password") {
			t.Error("password in evidence")
		}
		t.Logf("wrong password reported as a failed sign-in: %v", err)
	})

	t.Run("SimpleSAMLphp SP accepts our IdP's assertion", func(t *testing.T) {
		cert, err := os.ReadFile(os.Getenv("CUTOVER_INTEROP_SSP_IDP_CERT"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := os.ReadFile(os.Getenv("CUTOVER_INTEROP_SSP_IDP_KEY"))
		if err != nil {
			t.Fatal(err)
		}
		sk, err := idp.LoadSigningKey(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		ip, err := idp.New(idp.WithSigningKey(sk), idp.WithUsers(idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := ip.AddServiceProvider(get(plain, base+"/module.php/saml/sp/metadata.php/default-sp")); err != nil {
			t.Fatal(err)
		}
		site := ssotest.New(t, map[string]http.Handler{"idp.example.com": ip})
		ag, err := sso.NewAgent(site.ClientPassing(bu.Host),
			sso.WithLogin(sso.Login{URLPrefix: "https://idp.example.com", Username: "alice", Password: "Wonderland-1"}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := ag.Get(ctx, base+"/cutover-whoami.php")
		body := string(res.Body)
		if err != nil || res.Status != 200 || !strings.Contains(body, "authenticated") || !strings.Contains(body, "uid=alice") {
			t.Fatalf("SimpleSAMLphp SP: status %d, err %v\n%s\n%.800s", res.Status, err, res.Evidence(), body)
		}
		t.Logf("SimpleSAMLphp accepted our assertion:\n%s%s", res.Evidence(), body)
	})
}
