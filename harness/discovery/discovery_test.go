package discovery_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

func TestParseConfigURL(t *testing.T) {
	for _, tc := range []struct {
		name, url     string
		wantErr       bool
		services, vsd string
		excluded      []string
		problems      []string
		all           bool
	}{
		{name: "guide example with spaces", url: "ciscojabber://provision?ServicesDomain=cisco.com &VoiceServicesDomain=alphauk.cisco.com&ServiceDiscoveryExcludedServices=CUCM,CUP &ServicesDomainSsoEmailPrompt=OFF",
			services: "cisco.com", vsd: "alphauk.cisco.com", excluded: []string{"CUCM", "CUP"}},
		{name: "services domain only", url: "ciscojabber://provision?ServicesDomain=example.com", services: "example.com"},
		{name: "all excluded", url: "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=webex,CUCM,CUP",
			services: "example.com", excluded: []string{"WEBEX", "CUCM", "CUP"}, all: true},
		{name: "no services domain", url: "ciscojabber://provision?VoiceServicesDomain=example.com", vsd: "example.com", problems: []string{"ServicesDomain is missing"}},
		{name: "unknown exclusion", url: "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=CUCM,VOICEMAIL",
			services: "example.com", excluded: []string{"CUCM", "VOICEMAIL"}, problems: []string{`"VOICEMAIL"`}},
		{name: "guide typo", url: "ciscojabber://provision?ServicesDomain=example.com&VoiceServiceDomain=x.example.com", services: "example.com", problems: []string{"VoiceServiceDomain"}},
		{name: "bad prompt", url: "ciscojabber://provision?ServicesDomain=example.com&ServicesDomainSsoEmailPrompt=MAYBE", services: "example.com", problems: []string{"MAYBE"}},
		{name: "wrong scheme", url: "https://provision?ServicesDomain=example.com", wantErr: true},
		{name: "wrong host", url: "ciscojabber://configure?ServicesDomain=example.com", wantErr: true},
		{name: "bad escape", url: "ciscojabber://provision?ServicesDomain=%zz", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := discovery.ParseConfigURL(tc.url)
			if tc.wantErr {
				if !errors.Is(err, discovery.ErrConfigURL) {
					t.Fatalf("ParseConfigURL(%q): want ErrConfigURL, got %v", tc.url, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfigURL(%q): %v", tc.url, err)
			}
			if c.ServicesDomain != tc.services || c.VoiceServicesDomain != tc.vsd || !slices.Equal(c.Excluded, tc.excluded) || c.ExcludesAll() != tc.all {
				t.Errorf("ParseConfigURL(%q) = %+v", tc.url, c)
			}
			p := strings.Join(c.Problems(), "; ")
			if len(tc.problems) == 0 && p != "" {
				t.Errorf("unexpected problems: %s", p)
			}
			for _, want := range tc.problems {
				if !strings.Contains(p, want) {
					t.Errorf("problems %q lack %q", p, want)
				}
			}
		})
	}
}

// recorder records the SRV names a client asks.
type recorder struct {
	discovery.Resolver
	mu    sync.Mutex
	names []string
}

func (r *recorder) LookupSRV(ctx context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	r.mu.Lock()
	r.names = append(r.names, name)
	r.mu.Unlock()
	return r.Resolver.LookupSRV(ctx, name)
}

func site(t *testing.T, faults ...string) *target.Target {
	t.Helper()
	tg, err := embedded.Start(context.Background(), fakesite.Options{Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func alice(tg *target.Target) discovery.Input {
	u := tg.Site.Users[0]
	return discovery.Input{Email: u.Email, Username: u.Username, Password: u.Password}
}

func TestDiscoverOrder(t *testing.T) {
	tg := site(t)
	for _, tc := range []struct {
		name       string
		where      target.Where
		in         func(discovery.Input) discovery.Input
		wantSource string
		wantMode   string
		wantAsked  []string
	}{
		{name: "manual beats everything", where: target.Inside,
			in: func(i discovery.Input) discovery.Input {
				i.Manual = "ucm2.example.com"
				i.ConfigURL = "ciscojabber://provision?ServicesDomain=nowhere.example.com"
				return i
			},
			wantSource: "manual", wantMode: discovery.ModeUDS, wantAsked: nil},
		{name: "config URL beats the email domain", where: target.Inside,
			in: func(i discovery.Input) discovery.Input {
				i.Email = "alice@other.example.org"
				i.ConfigURL = "ciscojabber://provision?ServicesDomain=example.com"
				return i
			},
			wantSource: "config-url", wantMode: discovery.ModeUDS, wantAsked: []string{"_cuplogin._tcp.example.com", "_cisco-uds._tcp.example.com"}},
		{name: "email domain by SRV inside", where: target.Inside, in: func(i discovery.Input) discovery.Input { return i },
			wantSource: "email", wantMode: discovery.ModeUDS, wantAsked: []string{"_cuplogin._tcp.example.com", "_cisco-uds._tcp.example.com"}},
		{name: "outside falls to collab-edge", where: target.Outside, in: func(i discovery.Input) discovery.Input { return i },
			wantSource: "email", wantMode: discovery.ModeMRA, wantAsked: []string{"_cuplogin._tcp.example.com", "_cisco-uds._tcp.example.com", "_collab-edge._tls.example.com"}},
		{name: "CUCM and CUP excluded skip their SRV", where: target.Outside,
			in: func(i discovery.Input) discovery.Input {
				i.ConfigURL = "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=CUCM,CUP"
				return i
			},
			wantSource: "config-url", wantMode: discovery.ModeMRA, wantAsked: []string{"_collab-edge._tls.example.com"}},
		{name: "all excluded: no discovery, prompt", where: target.Inside,
			in: func(i discovery.Input) discovery.Input {
				i.ConfigURL = "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=WEBEX,CUCM,CUP"
				return i
			},
			wantSource: "config-url", wantMode: discovery.ModePrompt, wantAsked: nil},
		{name: "UC Manager Profile domain", where: target.Inside,
			in:         func(i discovery.Input) discovery.Input { i.VoiceServicesDomain = "emea.example.com"; return i },
			wantSource: "email", wantMode: discovery.ModeUDS, wantAsked: []string{"_cuplogin._tcp.example.com", "_cisco-uds._tcp.emea.example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{Resolver: tg.From(tc.where)}
			c := &discovery.Client{Resolver: rec, Budget: 5 * time.Second}
			res, err := c.Discover(context.Background(), tc.in(alice(tg)))
			if tc.wantMode != discovery.ModePrompt && !strings.Contains(tc.name, "UC Manager") && err != nil {
				t.Fatalf("Discover: %v\n%s", err, strings.Join(res.Trace, "\n"))
			}
			if res.Source != tc.wantSource || res.Mode != tc.wantMode {
				t.Errorf("got source %q mode %q, want %q %q\n%s", res.Source, res.Mode, tc.wantSource, tc.wantMode, strings.Join(res.Trace, "\n"))
			}
			if !slices.Equal(rec.names, tc.wantAsked) {
				t.Errorf("asked %v, want %v", rec.names, tc.wantAsked)
			}
		})
	}
}

// TestOnlyTopTwo: with the two highest-priority nodes dead, a working third
// node is never tried, as Jabber for Windows does.
func TestOnlyTopTwo(t *testing.T) {
	tg := site(t, "uds-top2-dead")
	c := &discovery.Client{Resolver: tg.From(target.Inside), Budget: 5 * time.Second}
	res, err := c.Discover(context.Background(), alice(tg))
	if !errors.Is(err, discovery.ErrNoUDS) {
		t.Fatalf("want ErrNoUDS, got %v", err)
	}
	tr := strings.Join(res.Trace, "\n")
	if strings.Contains(tr, "ucm3.example.com:8443/cucm-uds/version") || !strings.Contains(tr, "ucm2.example.com") {
		t.Errorf("want ucm1 and ucm2 tried and ucm3 not, trace:\n%s", tr)
	}
	c.TopN = 3
	res, _ = c.Discover(context.Background(), alice(tg))
	if res.UDS != "https://ucm3.example.com:8443" {
		t.Errorf("with TopN 3 the third node should answer /version, got UDS %q\n%s", res.UDS, strings.Join(res.Trace, "\n"))
	}
}

// blocking never answers DNS until the context ends.
type blocking struct{ discovery.Resolver }

func (blocking) LookupSRV(ctx context.Context, _ string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	<-ctx.Done()
	return nil, nil, ctx.Err()
}

// TestBudgetBoundsDiscovery: a resolver that never answers makes discovery
// fail with the budget's deadline, not hang.
func TestBudgetBoundsDiscovery(t *testing.T) {
	tg := site(t)
	c := &discovery.Client{Resolver: blocking{tg.From(target.Inside)}, Budget: 50 * time.Millisecond}
	_, err := c.Discover(context.Background(), alice(tg))
	if !errors.Is(err, discovery.ErrNoService) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a budget error, got %v", err)
	}
}

func TestFindsHomeClusterAndDevices(t *testing.T) {
	tg := site(t)
	bob := tg.Site.Users[1]
	c := &discovery.Client{Resolver: tg.From(target.Inside), Budget: 5 * time.Second}
	res, err := c.Discover(context.Background(), discovery.Input{Email: bob.Email, Username: bob.Username, Password: bob.Password, VoiceServicesDomain: bob.VoiceServicesDomain})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(res.Trace, "\n"))
	}
	if res.HomeCluster != "ucmb1.example.com" || res.Node != "ucmb1.example.com" || len(res.Devices) != 1 {
		t.Errorf("got home %q node %q devices %v", res.HomeCluster, res.Node, res.Devices)
	}
}
