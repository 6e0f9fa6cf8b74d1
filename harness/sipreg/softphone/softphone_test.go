package softphone_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/internal/testtoken"
	"example.com/cutover/harness/sipreg/softphone"
)

func TestRegisterEveryDeviceTypeUCM(t *testing.T) {
	for _, dt := range sipreg.DeviceTypes() {
		t.Run(string(dt), func(t *testing.T) {
			f := newFixture(t, nil)
			reg := f.reg("alice", dt, f.token("alice"))
			reg.ExpectRealm = sipreg.UCMRealm
			res, err := f.client().Register(context.Background(), reg)
			if err != nil {
				t.Fatalf("Register: %v\n%s", err, res.Evidence())
			}
			if !res.Registered || !res.Unregistered || !res.NewRegistration || !res.Listed || res.Granted != 120*time.Second {
				t.Errorf("result %+v", res)
			}
			if res.Challenge == nil || res.Challenge.Status != 407 || res.Challenge.Realm != "ccmsipline" {
				t.Errorf("challenge %+v", res.Challenge)
			}
			if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
				t.Errorf("TLS %+v", res.TLS)
			}
			ev := res.Evidence()
			for _, want := range []string{
				"User-Agent: " + dt.UserAgent(),
				`+u.sip!devicename.ccm.cisco.com="` + dt.DeviceName("alice") + `"`,
				`+u.sip!model.ccm.cisco.com="` + dt.Model() + `"`,
				"+sip.instance=\"<urn:uuid:",
				";transport=tls",
				"Proxy-Authorization: Bearer [redacted]",
				"Server: Cisco-CUCM12.5",
				"Expires: 0",
			} {
				if !strings.Contains(ev, want) {
					t.Errorf("evidence lacks %q", want)
				}
			}
			if strings.Contains(ev, reg.DeviceName) && strings.Contains(ev, "eyJ") {
				t.Error("evidence leaks the token")
			}
			got := f.srv.Received()
			if len(got) != 3 || got[0].Status != 407 || got[1].Status != 200 || got[2].Expires != 0 || got[2].Status != 200 {
				t.Errorf("fake saw %+v", got)
			}
			if got[1].Auth != "Proxy-Authorization: Bearer [redacted]" {
				t.Errorf("credentials header %q", got[1].Auth)
			}
			f.noBindings()
		})
	}
}

func TestRegisterRFC8898(t *testing.T) {
	f := newFixture(t, nil, sipreg.WithProfile(sipreg.ProfileRFC8898))
	c := f.client(softphone.WithTrustedAuthzServers("https://as.example.com/"))
	res, err := c.Register(context.Background(), f.reg("alice", sipreg.CSF, f.token("alice")))
	if err != nil {
		t.Fatalf("Register: %v\n%s", err, res.Evidence())
	}
	ch := res.Challenge
	if ch.Status != 401 || ch.Realm != "example.com" || ch.Scope != "sip:register" || ch.AuthzServer != "https://as.example.com/" {
		t.Errorf("challenge %+v", ch)
	}
	if got := f.srv.Received()[1].Auth; got != "Authorization: Bearer [redacted]" {
		t.Errorf("credentials header %q", got)
	}
	if !res.Unregistered || res.Granted != 3600*time.Second {
		t.Errorf("result %+v", res)
	}
	f.noBindings()
}

// Both credential forms register on both profiles (SIPO-09).
func TestBothCredentialForms(t *testing.T) {
	for _, p := range []sipreg.Profile{sipreg.ProfileUCM, sipreg.ProfileRFC8898} {
		for _, form := range []softphone.CredentialForm{softphone.FormUCM, softphone.FormRFC6750} {
			f := newFixture(t, nil, sipreg.WithProfile(p))
			reg := f.reg("alice", sipreg.CSF, f.token("alice"))
			reg.Form = form
			res, err := f.client(softphone.WithTrustedAuthzServers("https://as.example.com/")).Register(context.Background(), reg)
			if err != nil || !res.Registered {
				t.Errorf("%s form %d: %v", p, form, err)
			}
			f.noBindings()
		}
	}
}

func TestRegisterByLine(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.client().Register(context.Background(), f.reg("1010", sipreg.TCT, f.token("alice")))
	if err != nil || res.AOR != "sip:1010@ucm1.example.com" {
		t.Fatalf("Register by DN: %v %+v", err, res)
	}
}

// The fault table: each fault, the error the client must name, whether a
// binding was (wrongly) made, and a word the reason must hold.
func TestFaults(t *testing.T) {
	other := mustCA(t, "Other Root")
	for _, tc := range []struct {
		name       string
		opts       []sipreg.Option
		profile    sipreg.Profile
		token      func(*fixture) string
		reg        func(*softphone.Registration)
		want       error
		registered bool
		reason     string
		noToken    bool
	}{
		{name: "profile without OAuth", opts: []sipreg.Option{sipreg.ProfileWithoutOAuth("CSFalice")},
			want: softphone.ErrPortMismatch, reason: "Retry-After: 35", noToken: true},
		{name: "device missing", opts: []sipreg.Option{sipreg.RemoveDevice("CSFalice")},
			want: softphone.ErrRejected, reason: "404", noToken: true},
		{name: "expired token refused", token: func(f *fixture) string { return f.issuer.Mint("alice", f.clock.Now().Add(-time.Minute)) },
			want: softphone.ErrTokenRejected, reason: "expired"},
		{name: "expired token accepted (fault)", opts: []sipreg.Option{sipreg.AcceptExpiredTokens()},
			token: func(f *fixture) string { return f.issuer.Mint("alice", f.clock.Now().Add(-time.Minute)) }, registered: true},
		{name: "tampered token refused", token: func(f *fixture) string { return testtoken.Tamper(f.token("alice")) },
			want: softphone.ErrTokenRejected, reason: "signature"},
		{name: "garbage token accepted (fault)", opts: []sipreg.Option{sipreg.AcceptAnyToken()},
			token: func(*fixture) string { return "not-a-token" }, registered: true},
		{name: "revoked token refused", token: func(f *fixture) string { tok := f.token("alice"); f.issuer.Revoke(tok); return tok },
			want: softphone.ErrTokenRejected, reason: "revoked"},
		{name: "revoked token accepted (fault)", opts: []sipreg.Option{sipreg.AcceptRevokedTokens()},
			token: func(f *fixture) string { tok := f.token("alice"); f.issuer.Revoke(tok); return tok }, registered: true},
		{name: "other user's token refused", token: func(f *fixture) string { return f.token("bob") },
			want: softphone.ErrRejected, reason: "does not match the AOR"},
		{name: "other user's token accepted (fault)", opts: []sipreg.Option{sipreg.AcceptOtherUsersToken()},
			token: func(f *fixture) string { return f.token("bob") }, registered: true},
		{name: "Digest only", opts: []sipreg.Option{sipreg.OfferOnlyDigest()}, want: sipreg.ErrDigestOnly, reason: "Digest", noToken: true},
		{name: "wrong realm", opts: []sipreg.Option{sipreg.WrongRealm("example")},
			reg: func(r *softphone.Registration) { r.ExpectRealm = sipreg.UCMRealm }, want: softphone.ErrWrongRealm, noToken: true},
		{name: "untrusted authz_server", profile: sipreg.ProfileRFC8898,
			opts: []sipreg.Option{sipreg.UntrustedAuthzServer("https://as.example.net/")}, want: softphone.ErrUntrusted, noToken: true},
		{name: "TLS below 1.2", opts: []sipreg.Option{sipreg.OfferTLSBelow12()}, want: softphone.ErrTLS, reason: "protocol version", noToken: true},
		{name: "silence", opts: []sipreg.Option{sipreg.Silence()}, want: softphone.ErrTimeout, reason: "no response", noToken: true},
		{name: "100 Trying forever", opts: []sipreg.Option{sipreg.TryingForever()}, want: softphone.ErrTimeout, reason: "provisional", noToken: true},
		{name: "bad start line", opts: []sipreg.Option{sipreg.Malformed(sipreg.BadStartLine)}, want: sipreg.ErrMalformed, reason: "start line", noToken: true},
		{name: "bad header", opts: []sipreg.Option{sipreg.Malformed(sipreg.BadHeader)}, want: sipreg.ErrMalformed, reason: "header line", noToken: true},
		{name: "broken challenge", opts: []sipreg.Option{sipreg.Malformed(sipreg.BrokenChallenge)}, want: sipreg.ErrMalformed, reason: "Proxy-Authenticate", noToken: true},
		{name: "truncated", opts: []sipreg.Option{sipreg.Malformed(sipreg.TruncatedResponse)}, want: sipreg.ErrMalformed, reason: "truncated", noToken: true},
		{name: "64 KiB header", opts: []sipreg.Option{sipreg.Malformed(sipreg.HugeHeader)}, want: sipreg.ErrTooLarge, reason: "header section", noToken: true},
		{name: "no challenge", opts: []sipreg.Option{sipreg.SkipChallenge()}, want: softphone.ErrNoChallenge, registered: true, noToken: true},
		{name: "refresh refused", opts: []sipreg.Option{sipreg.RejectRefresh()},
			reg: func(r *softphone.Registration) { r.Refreshes = 1 }, want: softphone.ErrRefresh, registered: true, reason: "500"},
		{name: "unregister refused", opts: []sipreg.Option{sipreg.RejectUnregister()}, want: softphone.ErrBindingLeft, registered: true, reason: "Expires: 0"},
		{name: "unregister ignored", opts: []sipreg.Option{sipreg.KeepBindingOnUnregister()}, want: softphone.ErrBindingLeft, registered: true, reason: "still lists"},
		{name: "untrusted CA", opts: []sipreg.Option{sipreg.WithCertificate(mustIssue(t, other, "ucm1.example.com", pki.WithDNSNames("ucm1.example.com")))},
			want: softphone.ErrTLS, reason: "trusted CA", noToken: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts
			if tc.profile != "" {
				opts = append([]sipreg.Option{sipreg.WithProfile(tc.profile)}, opts...)
			}
			f := newFixture(t, nil, opts...)
			tok := f.token("alice")
			if tc.token != nil {
				tok = tc.token(f)
			}
			reg := f.reg("alice", sipreg.CSF, tok)
			if tc.reg != nil {
				tc.reg(&reg)
			}
			c := f.client(softphone.WithTimeout(300 * time.Millisecond))
			res, err := c.Register(context.Background(), reg)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Register: %v\n%s", err, res.Evidence())
				}
			} else if !errors.Is(err, tc.want) {
				t.Fatalf("Register error = %v, want %v\n%s", err, tc.want, res.Evidence())
			}
			t.Logf("reason: %s", res.Reason)
			if res.Registered != tc.registered {
				t.Errorf("Registered = %v, want %v (reason %q)", res.Registered, tc.registered, res.Reason)
			}
			if tc.reason != "" && !strings.Contains(res.Reason+" "+errText(err), tc.reason) {
				t.Errorf("reason %q (error %v) lacks %q", res.Reason, err, tc.reason)
			}
			if errors.Is(err, softphone.ErrTokenRejected) && (res.Refusal == nil || res.Refusal.Error != sipreg.BearerInvalidToken || res.Status != 407) {
				t.Errorf("token refusal not recorded: %+v, status %d", res.Refusal, res.Status)
			}
			if tc.noToken && f.sentToken() {
				t.Errorf("a token was sent: %+v", f.srv.Received())
			}
			if res.Reason == "" {
				t.Error("empty reason")
			}
			if !errors.Is(err, softphone.ErrBindingLeft) {
				f.noBindings()
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A Digest-only registrar never sees Digest credentials from us.
func TestNeverDigest(t *testing.T) {
	f := newFixture(t, nil, sipreg.OfferOnlyDigest())
	_, err := f.client().Register(context.Background(), f.reg("alice", sipreg.CSF, f.token("alice")))
	if !errors.Is(err, sipreg.ErrDigestOnly) || !errors.Is(err, sipreg.ErrNoBearer) {
		t.Fatalf("error %v", err)
	}
	if n := len(f.srv.Received()); n != 1 {
		t.Errorf("%d requests, want the one that was challenged", n)
	}
}

func TestCertificateProblems(t *testing.T) {
	ca := mustCA(t, "Test Root")
	now := newClock().Now()
	for _, tc := range []struct {
		name   string
		cert   tls.Certificate
		reason string
	}{
		{"SAN mismatch", mustIssue(t, ca, "ucm2.example.com", pki.WithDNSNames("ucm2.example.com")), "SAN"},
		{"expired", mustIssue(t, ca, "ucm1.example.com", pki.WithDNSNames("ucm1.example.com"),
			pki.WithValidity(now.Add(-48*time.Hour), now.Add(-24*time.Hour))), "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, &tc.cert)
			f.ca = ca
			res, err := f.client().Register(context.Background(), f.reg("alice", sipreg.CSF, f.token("alice")))
			if !errors.Is(err, softphone.ErrTLS) || !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("error %v, reason %q, want ErrTLS with %q", err, res.Reason, tc.reason)
			}
			if len(f.srv.Received()) != 0 {
				t.Error("a REGISTER went over an unverified connection")
			}
		})
	}
}

// SIPO-06 and SIPO-11: the MRA port takes Expressway-C's certificate and
// refuses others, and a client without one.
func TestMRA(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []sipreg.Option
		signer string // "exp": the trusted signer, "other": an unknown CA
		cn     string
		ok     bool
	}{
		{name: "trusted Expressway-C", signer: "exp", cn: "expc1.example.com", ok: true},
		{name: "unknown signer", signer: "other", cn: "expc1.example.com"},
		{name: "unknown Expressway-C name", signer: "exp", cn: "expc9.example.com"},
		{name: "no client certificate", signer: "", cn: ""},
		{name: "signer untrusted (fault)", opts: []sipreg.Option{sipreg.UntrustedExpresswaySigner()}, signer: "exp", cn: "expc1.example.com"},
		{name: "any certificate (fault)", opts: []sipreg.Option{sipreg.AcceptAnyClientCertificate()}, signer: "other", cn: "evil.example.net", ok: true},
		{name: "no certificate taken (fault)", opts: []sipreg.Option{sipreg.AcceptNoClientCertificate()}, signer: "", cn: "", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, tc.opts...)
			tc2 := &tls.Config{RootCAs: f.ca.Pool()}
			switch tc.signer {
			case "exp":
				tc2.Certificates = []tls.Certificate{mustIssue(t, f.expCA, tc.cn, pki.WithDNSNames(tc.cn))}
			case "other":
				tc2.Certificates = []tls.Certificate{mustIssue(t, mustCA(t, "Rogue"), tc.cn, pki.WithDNSNames(tc.cn))}
			}
			reg := f.reg("alice", sipreg.CSF, f.token("alice"))
			reg.Registrar = "ucm1.example.com:5091"
			res, err := f.client(softphone.WithTLSConfig(tc2)).Register(context.Background(), reg)
			if tc.ok {
				if err != nil {
					t.Fatalf("Register: %v", err)
				}
				if r := f.srv.Received(); r[len(r)-1].Role != sipreg.RoleMRA {
					t.Errorf("role %v", r[len(r)-1].Role)
				}
			} else if !errors.Is(err, softphone.ErrTLS) {
				t.Fatalf("error %v, want ErrTLS (reason %q)", err, res.Reason)
			}
			f.noBindings()
		})
	}
}

// Re-registration before expiry keeps the binding; one after expiry is a
// new registration (UCM's x-cisco-newreg).
func TestRefresh(t *testing.T) {
	f := newFixture(t, nil)
	reg := f.reg("alice", sipreg.BOT, f.token("alice"))
	reg.Refreshes = 3
	res, err := f.client().Register(context.Background(), reg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refreshes) != 3 {
		t.Fatalf("refreshes %+v", res.Refreshes)
	}
	for i, r := range res.Refreshes {
		if r.Status != 200 || !r.Kept || r.Granted != 120*time.Second {
			t.Errorf("refresh %d: %+v", i, r)
		}
	}
	f.noBindings()

	// A client that waits too long: the binding lapsed, UCM says new.
	late := newFixture(t, nil)
	c := late.client(softphone.WithWait(func(_ context.Context, d time.Duration) error {
		late.clock.Advance(2 * d)
		return nil
	}))
	reg = late.reg("alice", sipreg.BOT, late.issuer.Mint("alice", late.clock.Now().Add(24*time.Hour)))
	reg.Refreshes = 1
	res, err = c.Register(context.Background(), reg)
	if err != nil || len(res.Refreshes) != 1 || res.Refreshes[0].Kept {
		t.Errorf("late refresh: %v %+v", err, res.Refreshes)
	}
}

// An expired token is refreshed through the token source once.
func TestTokenRefresh(t *testing.T) {
	f := newFixture(t, nil)
	var calls []bool
	src := func(_ context.Context, refresh bool) (string, error) {
		calls = append(calls, refresh)
		if refresh {
			return f.token("alice"), nil
		}
		return f.issuer.Mint("alice", f.clock.Now().Add(time.Minute)), nil // lapses before the refresh
	}
	reg := f.reg("alice", sipreg.TAB, "")
	reg.Tokens, reg.Refreshes = src, 1
	res, err := f.client().Register(context.Background(), reg)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Evidence())
	}
	if !res.TokenRefreshed || len(calls) != 2 || calls[0] || !calls[1] {
		t.Errorf("refreshed %v, calls %v", res.TokenRefreshed, calls)
	}
	f.noBindings()

	// A source that cannot refresh: the rejection is reported, once.
	g := newFixture(t, nil)
	reg = g.reg("alice", sipreg.TAB, g.issuer.Mint("alice", g.clock.Now().Add(-time.Second)))
	_, err = g.client().Register(context.Background(), reg)
	if !errors.Is(err, softphone.ErrTokenRejected) || !strings.Contains(err.Error(), "refresh failed") {
		t.Errorf("error %v", err)
	}
}

// Unregister happens even when the caller's context is gone.
func TestUnregisterAfterCancel(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	c := f.client(softphone.WithWait(func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}))
	reg := f.reg("alice", sipreg.CSF, f.token("alice"))
	reg.Refreshes = 1
	res, err := c.Register(ctx, reg)
	if !errors.Is(err, context.Canceled) || !res.Unregistered {
		t.Fatalf("error %v, unregistered %v", err, res.Unregistered)
	}
	f.noBindings()
}

func TestUnknownUser(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.client().Register(context.Background(), f.reg("carol", sipreg.CSF, f.token("carol")))
	if !errors.Is(err, softphone.ErrRejected) || res.Status != 404 {
		t.Fatalf("error %v status %d", err, res.Status)
	}
}

func TestParallel(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client()
	var wg sync.WaitGroup
	errs := make(chan error, len(sipreg.DeviceTypes()))
	for _, dt := range sipreg.DeviceTypes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reg := f.reg("alice", dt, f.token("alice"))
			reg.Refreshes = 1
			_, err := c.Register(context.Background(), reg)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	f.noBindings()
}

func TestBadRegistration(t *testing.T) {
	c, err := softphone.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range []softphone.Registration{
		{Registrar: "ucm1.example.com", User: "a", Device: sipreg.CSF, Tokens: softphone.StaticToken("t")},
		{Registrar: "ucm1.example.com:5090", User: "a@b", Device: sipreg.CSF, Tokens: softphone.StaticToken("t")},
		{Registrar: "ucm1.example.com:5090", User: "a", Tokens: softphone.StaticToken("t")},
		{Registrar: "ucm1.example.com:5090", User: "a", Device: sipreg.CSF},
	} {
		if res, err := c.Register(context.Background(), reg); err == nil || res.Reason == "" {
			t.Errorf("%+v: error %v", reg, err)
		}
	}
	if _, err := softphone.New(softphone.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})); err == nil {
		t.Error("InsecureSkipVerify accepted")
	}
}
