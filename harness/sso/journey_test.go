package sso_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
	"example.com/cutover/harness/ucm"
	"example.com/cutover/harness/webexid"
)

var (
	alice = idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}
	bob   = idp.User{Username: "bob", Email: "bob@example.com", Password: "Builder-22"}
	admin = oauth.Admin{Username: "ccmadmin", Password: "Admin-Secret-9"}
)

type faults struct {
	idp      []idp.Option
	oauth    []oauth.Option
	webex    []webexid.Option
	edge     []expressway.Option
	otherIdP bool // Webex on a second IdP
}

type site struct {
	clock *ssotest.Clock
	idp   *idp.Server
	ucm   *oauth.Server
	webex *webexid.Server
	hc    *http.Client
}

func newSite(t testing.TB, f faults) *site {
	t.Helper()
	clock := ssotest.NewClock(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))
	users := idp.WithUsers(alice, bob)
	// SP metadata is a function of entity ID and ACS, so the IdP can be
	// built first.
	ucmMD := idp.SPMetadata("ucm1.example.com", "https://ucm1.example.com:8443/ssosp/saml/SSO/alias/ucm1.example.com")
	webexMD := idp.SPMetadata("https://idbroker.example.com/example-org", "https://idbroker.example.com/idb/Consumer/metaAlias/example-org/sp")
	ip, err := idp.New(append([]idp.Option{idp.WithClock(clock.Now), users,
		idp.WithServiceProvider(ucmMD), idp.WithServiceProvider(webexMD)}, f.idp...)...)
	if err != nil {
		t.Fatal(err)
	}
	md, err := ip.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	webexIdP := ip
	hosts := map[string]http.Handler{"idp.example.com": ip}
	if f.otherIdP {
		other, err := idp.New(idp.WithClock(clock.Now), users, idp.WithBaseURL("https://idp2.example.net"), idp.WithServiceProvider(webexMD))
		if err != nil {
			t.Fatal(err)
		}
		webexIdP = other
		hosts["idp2.example.net"] = other
	}
	wmd, _ := webexIdP.Metadata()
	wx, err := webexid.New(append([]webexid.Option{webexid.WithClock(clock.Now), webexid.WithIdPMetadata(wmd),
		webexid.WithUsers(webexid.User{Email: alice.Email, Password: "webex-pw-1"}, webexid.User{Email: bob.Email})}, f.webex...)...)
	if err != nil {
		t.Fatal(err)
	}
	oa, err := oauth.New(append([]oauth.Option{oauth.WithClock(clock.Now), oauth.WithIdPMetadata(md), oauth.WithAdmin(admin),
		oauth.WithUsers(oauth.User{Username: "alice", Email: alice.Email, Password: "ucm-pw-1"}, oauth.User{Username: "bob", Email: bob.Email})}, f.oauth...)...)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := pki.NewCA("uds")
	cert, _ := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	uds, err := ucm.Start(context.Background(), ucm.WithCertificate(cert), ucm.WithTokenValidator(oa.UDSValidator()),
		ucm.WithUsers(ucm.User{Username: "alice", Email: alice.Email, Devices: []ucm.Device{{Name: "CSFALICE"}}},
			ucm.User{Username: "bob", Email: bob.Email, Devices: []ucm.Device{{Name: "CSFBOB"}}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = uds.Close() })
	ecert, _ := ca.Issue("expe1.example.com", pki.WithDNSNames("expe1.example.com"))
	edge, err := expressway.Start(context.Background(), append([]expressway.Option{expressway.WithCertificate(ecert),
		expressway.WithClock(clock.Now), expressway.WithTokenValidator(oa.Validator()), expressway.WithOAuthUpstream(oa)}, f.edge...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = edge.Close() })
	hosts["expe1.example.com"] = edge
	mux := http.NewServeMux()
	mux.Handle(oauth.PathPrefix, oa)
	mux.Handle("/cucm-uds/", uds)
	hosts["ucm1.example.com"] = mux
	hosts["idbroker.example.com"] = wx
	s := ssotest.New(t, hosts)
	t.Cleanup(func() {
		for _, c := range []interface{ Close() error }{ip, oa, wx} {
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	return &site{clock: clock, idp: ip, ucm: oa, webex: wx, hc: s.Client()}
}

func (s *site) journey(t testing.TB, u idp.User, extra ...sso.Login) *sso.Journey {
	t.Helper()
	j, err := sso.NewJourney(sso.Config{
		HTTP:       s.hc,
		Logins:     append([]sso.Login{{URLPrefix: "https://idp", Username: u.Username, Password: u.Password}}, extra...),
		WebexStart: s.webex.StartURL(u.Email),
		UCM:        "https://ucm1.example.com:8443",
		Expressway: "https://expe1.example.com:8443",
		Domain:     "example.com",
		Email:      u.Email,
		Clock:      s.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// evidence collects everything a check could print, for the leak test.
type evidence []string

func (e *evidence) add(st sso.Step, err error) {
	*e = append(*e, st.Evidence())
	if err != nil {
		*e = append(*e, err.Error())
	}
}

func TestJourneyHealthy(t *testing.T) {
	s := newSite(t, faults{})
	ctx := context.Background()
	var ev evidence
	ja, jb := s.journey(t, alice), s.journey(t, bob)

	st, err := ja.SignInWebex(ctx)
	ev.add(st, err)
	if err != nil || st.Prompts != 1 {
		t.Fatalf("webex sign-in: prompts %d, %v\n%s", st.Prompts, err, st.Evidence())
	}
	st, err = ja.SignInUCM(ctx)
	ev.add(st, err)
	if err != nil || st.Prompts != 0 || ja.Grant() != "code" {
		t.Fatalf("ucm sign-in: prompts %d grant %q, %v\n%s", st.Prompts, ja.Grant(), err, st.Evidence())
	}
	tok := ja.Tokens()
	info, err := oauth.Inspect(tok.Access.Reveal())
	if err != nil || info.Parts != 3 || info.Subject != "alice" || info.Lifetime() != time.Hour {
		t.Fatalf("access token %+v %v", info, err)
	}
	if tok.RefreshExpiresIn != 60*24*time.Hour {
		t.Errorf("refresh lifetime %v", tok.RefreshExpiresIn)
	}
	d, st, err := ja.UDS(ctx, "alice")
	ev.add(st, err)
	if err != nil || len(d) != 1 || d[0].Name != "CSFALICE" {
		t.Fatalf("uds: %v %v", d, err)
	}

	// Bob signs in too (his own browser).
	for _, f := range []func(context.Context) (sso.Step, error){jb.SignInWebex, jb.SignInUCM} {
		st, err := f(ctx)
		ev.add(st, err)
		if err != nil {
			t.Fatal(err)
		}
	}

	// Access token expires; UDS refuses it, a refresh without the IdP fixes it.
	s.clock.Advance(61 * time.Minute)
	_, st, err = ja.UDS(ctx, "alice")
	ev.add(st, err)
	var se *ucm.StatusError
	if !errors.As(err, &se) || se.Code != 401 {
		t.Fatalf("expired token: want 401, got %v", err)
	}
	idpBefore := len(s.idp.Received())
	st, err = ja.Refresh(ctx)
	ev.add(st, err)
	if err != nil {
		t.Fatalf("refresh: %v\n%s", err, st.Evidence())
	}
	if len(s.idp.Received()) != idpBefore {
		t.Error("refresh went to the IdP")
	}
	if _, st, err = ja.UDS(ctx, "alice"); err != nil {
		t.Fatalf("uds after refresh: %v", err)
	}
	ev.add(st, err)

	// Revoke alice: her refresh fails, bob's works.
	rr, st, err := ja.Revoke(ctx, admin, "alice")
	ev.add(st, err)
	if err != nil || rr.RevokedTokens.UserID != "alice" {
		t.Fatalf("revoke: %+v %v", rr, err)
	}
	st, err = ja.Refresh(ctx)
	ev.add(st, err)
	if !errors.Is(err, oauth.ErrGrant) {
		t.Fatalf("revoked refresh: want ErrGrant, got %v", err)
	}
	if _, _, err := ja.UDS(ctx, "alice"); err == nil {
		t.Error("revoked access token still accepted by UDS")
	}
	st, err = jb.Refresh(ctx)
	ev.add(st, err)
	if err != nil {
		t.Fatalf("bob's refresh after alice's revoke: %v", err)
	}

	// Nothing secret in anything printed.
	secrets := []string{alice.Password, bob.Password, admin.Password, ja.Tokens().Access.Reveal(), ja.Tokens().Refresh.Reveal(),
		jb.Tokens().Access.Reveal(), jb.Tokens().Refresh.Reveal(), tok.Access.Reveal(), tok.Refresh.Reveal()}
	all := strings.Join(ev, "\n")
	for _, sec := range secrets {
		if sec != "" && strings.Contains(all, sec) {
			t.Errorf("secret %.8s… leaked into evidence", sec)
		}
	}
	for _, frag := range []string{"SAMLResponse=P", "eyJ"} {
		if strings.Contains(all, frag) {
			t.Errorf("evidence holds %q", frag)
		}
	}
	if n, m := strings.Count(all, "IDPSESSION="), strings.Count(all, "IDPSESSION="+sso.Redacted); n != m || n == 0 {
		t.Errorf("session cookie value in evidence (%d of %d redacted)", m, n)
	}
	if !strings.Contains(all, sso.Redacted) {
		t.Error("no redaction marker in evidence: the test looks at nothing")
	}
}

func TestJourneyFaults(t *testing.T) {
	for _, tc := range []struct {
		name         string
		f            faults
		ucmPrompts   int
		ucmErr       string // substring of the UCM sign-in error, "" for none
		grant        string
		refreshError error
	}{
		{name: "ucm not sso", f: faults{oauth: []oauth.Option{oauth.SSODisabled()}}, ucmPrompts: 1, grant: "code"},
		{name: "two idps", f: faults{otherIdP: true}, ucmPrompts: 1, grant: "code"},
		{name: "idp forgets sessions", f: faults{idp: []idp.Option{idp.NoSessionReuse()}}, ucmPrompts: 1, grant: "code"},
		{name: "refresh flow disabled", f: faults{oauth: []oauth.Option{oauth.RefreshLoginFlowDisabled()}}, grant: "implicit"},
		{name: "expired idp cert", f: faults{idp: []idp.Option{idp.ExpiredCertificate()}}, ucmErr: "expired"},
		{name: "wrong audience", f: faults{idp: []idp.Option{idp.WrongAudience()}}, ucmErr: "audience"},
		{name: "wrong nameid", f: faults{idp: []idp.Option{idp.WrongNameID()}}, ucmErr: "not a Unified CM user"},
		{name: "keys regenerated", f: faults{oauth: []oauth.Option{oauth.RegenerateKeysAfterIssue()}}, grant: "code", refreshError: oauth.ErrGrant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.f)
			ctx := context.Background()
			j := s.journey(t, alice, sso.Login{URLPrefix: "https://ucm1.example.com", UsernameField: oauth.UsernameField,
				PasswordField: oauth.PasswordField, Username: "alice", Password: "ucm-pw-1"})
			if _, err := j.SignInWebex(ctx); err != nil && tc.ucmErr == "" {
				t.Fatalf("webex: %v", err)
			}
			st, err := j.SignInUCM(ctx)
			if tc.ucmErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.ucmErr) {
					t.Fatalf("want error with %q, got %v", tc.ucmErr, err)
				}
				return
			}
			if err != nil || st.Prompts != tc.ucmPrompts || j.Grant() != tc.grant {
				t.Fatalf("prompts %d grant %q err %v, want %d %q\n%s", st.Prompts, j.Grant(), err, tc.ucmPrompts, tc.grant, st.Evidence())
			}
			if tc.grant == "code" {
				_, err := j.Refresh(ctx)
				if (tc.refreshError == nil) != (err == nil) || (err != nil && !errors.Is(err, tc.refreshError)) {
					t.Fatalf("refresh: want %v, got %v", tc.refreshError, err)
				}
			}
		})
	}
}

func TestJourneyMRA(t *testing.T) {
	for _, tc := range []struct {
		name      string
		f         faults
		grant     string
		edgeCode  int
		wantNotes bool
	}{
		{"healthy", faults{}, "code", 200, false},
		{"expressway refresh off", faults{edge: []expressway.Option{expressway.OAuthRefreshOff()}}, "implicit", 401, true},
		{"ucm refresh off", faults{oauth: []oauth.Option{oauth.RefreshLoginFlowDisabled()}}, "implicit", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.f)
			ctx := context.Background()
			j := s.journey(t, alice)
			if _, err := j.SignInWebex(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := j.SignInMRA(ctx)
			if err != nil || st.Prompts != 0 || j.Grant() != tc.grant || (len(st.Notes) > 0) != tc.wantNotes {
				t.Fatalf("mra sign-in: prompts %d grant %q notes %q err %v\n%s", st.Prompts, j.Grant(), st.Notes, err, st.Evidence())
			}
			_, st, err = j.EdgeConfig(ctx)
			if got := st.Exchanges[0].Status; got != tc.edgeCode {
				t.Fatalf("edge config with token: status %d, want %d (%v)", got, tc.edgeCode, err)
			}
		})
	}
}
