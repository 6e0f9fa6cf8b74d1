package fakesite_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"example.com/cutover/fixtures"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/fakesite/fakesitetest"
	"example.com/cutover/harness/target"
)

// TestExampleSiteLoads: the fixture is valid and every service has typed
// settings.
func TestExampleSiteLoads(t *testing.T) {
	p, err := fakesite.Example()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Site.Users) != 2 || p.Site.Users[0].Password == "" || p.Site.Users[0].Password == p.Site.Users[1].Password {
		t.Errorf("users: want two with distinct fresh passwords, got %+v", p.Site.Users)
	}
	for _, hs := range p.Services(fakesite.KindUDS) {
		if _, ok := hs.Service.Settings.(*fakesite.UDSSettings); !ok {
			t.Errorf("%s: uds settings %T", hs.Host.Name, hs.Service.Settings)
		}
	}
}

// TestLoadErrors: a fake site file is decoded as strictly as a target
// file, settings included, with file and line.
func TestLoadErrors(t *testing.T) {
	base := string(fixtures.ExampleSite)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown key in settings", "        settings:\n          view: inside\n", "        settings:\n          view: inside\n          no_tpc: true\n",
			`example.yaml:{no_tpc}: field hosts[0].services[0].settings.no_tpc: unknown key in DNSSettings`},
		{"unknown kind", "services: [{kind: uds, port: 8443}", "services: [{kind: udss, port: 8443}",
			`field hosts[2].services[0].kind: unknown service kind "udss"`},
		{"settings for a kind without", "{kind: uds, port: 8443}", "{kind: uds, port: 8443, settings: {view: x}}",
			`settings.view: unknown key in UDSSettings`},
		{"bad site data", "email: alice@example.com", "email: alice",
			`field site.users[0].email: want an address like alice@example.com`},
		{"unknown host key", "  - name: ucm1.example.com\n", "  - name: ucm1.example.com\n    zone: [inside]\n",
			`field hosts[2].zone: unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("fixture no longer has %q", tc.old)
			}
			data := strings.Replace(base, tc.old, tc.new, 1)
			// {no_tpc} is the line the edit put the unknown key on.
			before, _, _ := strings.Cut(data, "no_tpc: true")
			want := strings.ReplaceAll(tc.want, "{no_tpc}", strconv.Itoa(strings.Count(before, "\n")+1))
			_, err := fakesite.Load("example.yaml", []byte(data), fakesite.Kinds())
			if !errors.Is(err, target.ErrConfig) || !strings.Contains(err.Error(), want) {
				t.Fatalf("want a configuration error containing %q, got %v", want, err)
			}
		})
	}
}

// TestEveryFaultEditsTheExample: each fault of the catalogue applies to the
// example site alone (none names what the site lacks).
func TestEveryFaultEditsTheExample(t *testing.T) {
	for _, name := range fakesite.Names() {
		p, err := fakesite.Example()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Apply(name); err != nil {
			t.Errorf("fault %s: %v", name, err)
		}
	}
}

// TestPlanConsistency: services that cannot share a port, or claim the
// same path, are refused before anything starts.
func TestPlanConsistency(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*fakesite.Plan)
		want string
	}{
		{"socket kind sharing a port", func(p *fakesite.Plan) {
			h, _ := p.Host("ucm1.example.com")
			h.Services = append(h.Services, &fakesite.Service{Kind: fakesite.KindProxy, Port: 8443})
		}, "cannot share"},
		{"two services on one path", func(p *fakesite.Plan) {
			h, _ := p.Host("ucm1.example.com")
			h.Services = append(h.Services, &fakesite.Service{Kind: fakesite.KindUDS, Port: 8443})
		}, "two services claim /cucm-uds/"},
		{"unknown kind", func(p *fakesite.Plan) {
			h, _ := p.Host("ucm1.example.com")
			h.Services = append(h.Services, &fakesite.Service{Kind: "sbc", Port: 5061})
		}, `unknown service kind "sbc"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := fakesite.Example()
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(p)
			_, _, err = fakesite.Prepare("test", fakesite.Options{Plan: p})
			if !errors.Is(err, fakesite.ErrPlan) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrPlan with %q, got %v", tc.want, err)
			}
		})
	}
}

// TestNewKindRunsEmbedded: a kind added to the registry (a socket kind and
// an HTTP kind mounted beside UDS on ucm1's listener) runs under the
// embedded launcher with no change of its; containers_test proves the same
// for containers.
func TestNewKindRunsEmbedded(t *testing.T) {
	p, reg, err := fakesitetest.Plan()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{Plan: p, Kinds: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tg.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	fakesitetest.Check(t, tg)
}
