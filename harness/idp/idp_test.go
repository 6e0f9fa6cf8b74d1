package idp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
)

const (
	spEntity = "https://sp.example.com/saml/metadata"
	spACS    = "https://sp.example.com/saml/acs"
)

var alice = idp.User{Username: "alice", Email: "alice@example.com", Password: "Wonderland-1"}

// testSP is a minimal SP: /start redirects to the IdP, /acs verifies.
type testSP struct {
	sp   *idp.ServiceProvider
	mu   sync.Mutex
	ids  []string
	last error
	got  idp.Assertion
}

func (t *testSP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/start":
		u, id, err := t.sp.AuthnRequest("rs-1")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		t.mu.Lock()
		t.ids = append(t.ids, id)
		t.mu.Unlock()
		http.Redirect(w, r, u.String(), http.StatusFound)
	case "/saml/acs":
		_ = r.ParseForm()
		t.mu.Lock()
		ids := append([]string(nil), t.ids...)
		t.mu.Unlock()
		a, err := t.sp.Verify(r.PostForm.Get("SAMLResponse"), ids...)
		t.mu.Lock()
		t.last, t.got = err, a
		t.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "welcome %s", a.NameID)
	default:
		http.NotFound(w, r)
	}
}

func newSigningKey(t *testing.T, now time.Time) idp.SigningKey {
	t.Helper()
	k, err := idp.NewSigningKey("idp.example.com", now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type rig struct {
	idp   *idp.Server
	sp    *testSP
	agent *sso.Agent
	clock *ssotest.Clock
}

func newRig(t *testing.T, key idp.SigningKey, faults ...idp.Option) *rig {
	t.Helper()
	clock := ssotest.NewClock(time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC))
	opts := append([]idp.Option{
		idp.WithClock(clock.Now), idp.WithUsers(alice), idp.WithSigningKey(key),
		idp.WithServiceProvider(idp.SPMetadata(spEntity, spACS)),
	}, faults...)
	ip, err := idp.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	md, err := ip.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	// The SP trusts the healthy key, as a site would have configured it.
	healthy, err := idp.New(idp.WithClock(clock.Now), idp.WithSigningKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if hmd, _ := healthy.Metadata(); !hasFault(faults) {
		md = hmd
	}
	sp, err := idp.NewServiceProvider(idp.SPConfig{EntityID: spEntity, ACSURL: spACS, IdPMetadata: md, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tsp := &testSP{sp: sp}
	site := ssotest.New(t, map[string]http.Handler{"idp.example.com": ip, "sp.example.com": tsp})
	ag, err := sso.NewAgent(site.Client(), sso.WithLogin(sso.Login{Username: "alice", Password: alice.Password}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ip.Close(); err != nil {
			t.Error(err)
		}
	})
	return &rig{idp: ip, sp: tsp, agent: ag, clock: clock}
}

func hasFault(o []idp.Option) bool { return len(o) > 0 }

func TestSignInHealthy(t *testing.T) {
	r := newRig(t, newSigningKey(t, time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	res, err := r.agent.Get(ctx, "https://sp.example.com/start")
	if err != nil {
		t.Fatalf("sign-in: %v\n%s", err, res.Evidence())
	}
	if res.Status != 200 || !strings.Contains(string(res.Body), "welcome alice@example.com") {
		t.Fatalf("want welcome page, got %d %q\n%s", res.Status, res.Body, res.Evidence())
	}
	if res.Prompts != 1 {
		t.Errorf("prompts = %d, want 1", res.Prompts)
	}
	if got := r.sp.got; got.Attr("uid") != "alice" || got.Attr("mail") != "alice@example.com" || got.Recipient != spACS {
		t.Errorf("assertion = %+v", got)
	}
	// Second sign-in reuses the IdP session: no prompt.
	res, err = r.agent.Get(ctx, "https://sp.example.com/start")
	if err != nil || res.Prompts != 0 {
		t.Fatalf("second sign-in: prompts %d, err %v\n%s", res.Prompts, err, res.Evidence())
	}
	if l, f := r.idp.Counts(); l != 1 || f != 0 {
		t.Errorf("counts = %d logins, %d failures", l, f)
	}
}

func TestWrongPassword(t *testing.T) {
	r := newRig(t, newSigningKey(t, time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)))
	bad, err := sso.NewAgent(siteClient(t, r), sso.WithLogin(sso.Login{Username: "alice", Password: "wrong-password"}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := bad.Get(context.Background(), "https://sp.example.com/start")
	if !errors.Is(err, sso.ErrSignInFailed) {
		t.Fatalf("want ErrSignInFailed, got %v\n%s", err, res.Evidence())
	}
	if !strings.Contains(res.Alert, "Incorrect") || res.Prompts != 2 {
		t.Errorf("alert %q prompts %d", res.Alert, res.Prompts)
	}
	if strings.Contains(res.Evidence(), "wrong-password") || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("password leaked: %s", res.Evidence())
	}
	if _, f := r.idp.Counts(); f != 1 {
		t.Errorf("failures = %d", f)
	}
}

// siteClient rebuilds a client for the rig's hosts (the rig keeps its own).
func siteClient(t *testing.T, r *rig) *http.Client {
	site := ssotest.New(t, map[string]http.Handler{"idp.example.com": r.idp, "sp.example.com": r.sp})
	return site.Client()
}

func TestFaults(t *testing.T) {
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	key := newSigningKey(t, now)
	for _, tc := range []struct {
		name  string
		fault idp.Option
		want  error
	}{
		{"expired certificate", idp.ExpiredCertificate(), idp.ErrCertExpired},
		{"wrong audience", idp.WrongAudience(), idp.ErrAudience},
		{"wrong recipient", idp.WrongRecipient(), idp.ErrRecipient},
		{"unsigned", idp.UnsignedAssertion(), idp.ErrUnsigned},
		{"other key", idp.SignedByOtherKey(), idp.ErrUntrustedSigner},
		{"skew ahead", idp.ClockSkew(10 * time.Minute), idp.ErrTimeWindow},
		{"skew behind", idp.ClockSkew(-10 * time.Minute), idp.ErrTimeWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, key, tc.fault)
			if tc.name != "expired certificate" {
				// The SP trusts the healthy metadata; rebuild with it.
				healthy, _ := idp.New(idp.WithClock(r.clock.Now), idp.WithSigningKey(key))
				md, _ := healthy.Metadata()
				sp, err := idp.NewServiceProvider(idp.SPConfig{EntityID: spEntity, ACSURL: spACS, IdPMetadata: md, Clock: r.clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				r.sp.sp = sp
			}
			res, err := r.agent.Get(context.Background(), "https://sp.example.com/start")
			if err != nil {
				t.Fatalf("navigation: %v\n%s", err, res.Evidence())
			}
			if res.Status != http.StatusForbidden || !errors.Is(r.sp.last, tc.want) || !errors.Is(r.sp.last, idp.ErrResponse) {
				t.Fatalf("want 403 wrapping %v, got %d, err %v", tc.want, res.Status, r.sp.last)
			}
		})
	}
}

func TestWrongNameID(t *testing.T) {
	r := newRig(t, newSigningKey(t, time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)), idp.WrongNameID())
	res, err := r.agent.Get(context.Background(), "https://sp.example.com/start")
	if err != nil || res.Status != 200 {
		t.Fatalf("%v %d", err, res.Status)
	}
	if a := r.sp.got; a.NameID == alice.Email || a.NameID == alice.Username || a.Attr("uid") == "alice" {
		t.Errorf("NameID %q uid %q maps to alice", a.NameID, a.Attr("uid"))
	}
}

func TestNoSessionReuse(t *testing.T) {
	r := newRig(t, newSigningKey(t, time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)), idp.NoSessionReuse())
	for i := 0; i < 2; i++ {
		res, err := r.agent.Get(context.Background(), "https://sp.example.com/start")
		if err != nil || res.Prompts != 1 {
			t.Fatalf("sign-in %d: prompts %d err %v", i, res.Prompts, err)
		}
	}
	if r.agent.Prompts() != 2 {
		t.Errorf("total prompts %d", r.agent.Prompts())
	}
}

func TestSessionExpires(t *testing.T) {
	r := newRig(t, newSigningKey(t, time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)), idp.WithSessionLifetime(time.Hour))
	ctx := context.Background()
	if _, err := r.agent.Get(ctx, "https://sp.example.com/start"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Hour)
	res, err := r.agent.Get(ctx, "https://sp.example.com/start")
	if err != nil || res.Prompts != 1 {
		t.Fatalf("after expiry: prompts %d err %v", res.Prompts, err)
	}
}

func TestMetadataCertificates(t *testing.T) {
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key := newSigningKey(t, now)
	for _, tc := range []struct {
		name  string
		fault []idp.Option
		want  error
	}{
		{"healthy", nil, nil},
		{"expiring", []idp.Option{idp.CertificateExpiresIn(10 * 24 * time.Hour)}, idp.ErrCertExpiring},
		{"expired", []idp.Option{idp.ExpiredCertificate()}, idp.ErrCertExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := idp.New(append([]idp.Option{idp.WithClock(clock), idp.WithSigningKey(key)}, tc.fault...)...)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := s.Metadata()
			md, err := idp.ParseMetadata(b)
			if err != nil {
				t.Fatal(err)
			}
			if md.EntityID != "https://idp.example.com/idp/metadata" || md.SSORedirect != "https://idp.example.com/idp/sso" {
				t.Errorf("metadata %+v", md)
			}
			_, err = idp.CheckCertificates(md, now, idp.WarnWindow)
			if (tc.want == nil && err != nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("want %v, got %v", tc.want, err)
			}
		})
	}
}

func TestServesMetadataAndRefusesUnknown(t *testing.T) {
	s, err := idp.New()
	if err != nil {
		t.Fatal(err)
	}
	hc := ssotest.New(t, map[string]http.Handler{"idp.example.com": s}).Client()
	resp, err := hc.Get("https://idp.example.com/idp/metadata")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := idp.ParseMetadata(b); err != nil || resp.StatusCode != 200 {
		t.Fatalf("metadata %d: %v", resp.StatusCode, err)
	}
	resp, err = hc.Get("https://idp.example.com/idp/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := s.Close(); !errors.Is(err, idp.ErrUnexpected) {
		t.Errorf("Close = %v, want ErrUnexpected", err)
	}
}
