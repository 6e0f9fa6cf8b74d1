// Package fakesitetest holds trivial service kinds that tests add to a
// plan to prove that a kind joins the site by one table entry: embedded and
// containers run it with no change of theirs (containers through a custom
// fake binary, testdata/echofake, that adds these kinds to the registry).
package fakesitetest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/fixtures"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// Kind names.
const (
	KindEcho  = "echo"  // a socket kind: TCP, echoes each line back
	KindHello = "hello" // an HTTP kind: GET /hello/ answers "hello from HOST: GREETING"
)

// HelloSettings is the hello kind's settings.
type HelloSettings struct {
	Greeting string `yaml:"greeting" json:"greeting"`
}

// Kinds returns the product's registry with echo and hello added.
func Kinds() (*fakesite.Registry, error) {
	r, err := fakesite.Kinds().With(fakesite.Kind{
		Name: KindEcho, Transport: fakesite.TCP,
		Start: func(ctx context.Context, env *fakesite.Env, _ *fakesite.Service, addr string) (fakesite.Running, error) {
			return startEcho(addr)
		},
	})
	if err != nil {
		return nil, err
	}
	return r.With(fakesite.Kind{
		Name: KindHello, Transport: fakesite.TLS, Paths: []string{"/hello/"},
		Settings: func() any { return &HelloSettings{} },
		Handler: func(env *fakesite.Env, svc *fakesite.Service) (fakesite.Handler, error) {
			g := svc.Settings.(*HelloSettings).Greeting
			return hello{text: fmt.Sprintf("hello from %s: %s", env.Host.Name, g), now: env.Now}, nil
		},
	})
}

// hello answers its greeting, and on /hello/time the site time the host
// sees (RFC 3339).
type hello struct {
	text string
	now  func() time.Time
}

func (h hello) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/hello/time" {
		fmt.Fprintln(w, h.now().UTC().Format(time.RFC3339))
		return
	}
	fmt.Fprintln(w, h.text)
}

func (hello) Close() error { return nil }

type echo struct {
	ln net.Listener
	wg sync.WaitGroup
}

func startEcho(addr string) (*echo, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	e := &echo{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := fmt.Fprintln(c, sc.Text()); err != nil {
						return
					}
				}
			}()
		}
	}()
	return e, nil
}

func (e *echo) Addr() string { return e.ln.Addr().String() }

func (e *echo) Close() error {
	err := e.ln.Close()
	e.wg.Wait()
	return err
}

// Plan is the example site with the test kinds: echo1.example.com and a
// hello service beside UDS (AddTo), and the registry that starts them.
func Plan() (*fakesite.Plan, *fakesite.Registry, error) {
	reg, err := Kinds()
	if err != nil {
		return nil, nil, err
	}
	p, err := fakesite.Load(fixtures.ExampleSiteName, fixtures.ExampleSite, reg)
	if err != nil {
		return nil, nil, err
	}
	return p, reg, AddTo(p)
}

// AddTo puts a host echo1.example.com (inside, with an echo service on 7
// and a hello service on 8443) into the plan, and mounts a hello service
// beside UDS on ucm1's 8443 listener.
func AddTo(p *fakesite.Plan) error {
	p.Hosts = append(p.Hosts, &fakesite.Host{
		Name: "echo1.example.com", Address: "127.0.9.1", Zones: []string{fakesite.ZoneInside},
		Services: []*fakesite.Service{
			{Kind: KindEcho, Port: 7},
			{Kind: KindHello, Port: 8443, Settings: &HelloSettings{Greeting: "alone"}},
		},
	})
	h, err := p.Host("ucm1.example.com")
	if err != nil {
		return err
	}
	h.Services = append(h.Services, &fakesite.Service{Kind: KindHello, Port: 8443, Settings: &HelloSettings{Greeting: "beside UDS"}})
	return nil
}

// siteTime is the time host's hello service reports.
func siteTime(t testing.TB, tg *target.Target, host string) time.Time {
	t.Helper()
	resp, err := tg.HTTPClient(target.Inside).Get("https://" + host + ":8443/hello/time")
	if err != nil {
		t.Fatalf("GET %s /hello/time: %v", host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s /hello/time: %q: %v", host, b, err)
	}
	return at
}

// Check talks to the test kinds through the target, as a check
// would: names through the inside DNS, the connect map, TLS to the site CA.
func Check(t testing.TB, tg *target.Target) {
	t.Helper()
	ctx := context.Background()
	c, err := tg.From(target.Inside).Dial(ctx, "tcp", "echo1.example.com:7")
	if err != nil {
		t.Fatalf("dial echo1:7: %v", err)
	}
	defer c.Close()
	fmt.Fprintln(c, "ping")
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo: got %q, %v", line, err)
	}
	for url, want := range map[string]string{
		"https://echo1.example.com:8443/hello/": "hello from echo1.example.com: alone\n",
		"https://ucm1.example.com:8443/hello/":  "hello from ucm1.example.com: beside UDS\n",
	} {
		resp, err := tg.HTTPClient(target.Inside).Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != want {
			t.Errorf("GET %s: got %d %q, want %q", url, resp.StatusCode, b, want)
		}
	}
	// The site's time moves for the fakes as for the checks: two days
	// pass at once (no wait), on both hosts.
	before := map[string]time.Time{}
	hosts := []string{"echo1.example.com", "ucm1.example.com"}
	for _, h := range hosts {
		before[h] = siteTime(t, tg, h)
	}
	how, err := tg.Elapse(ctx, 48*time.Hour)
	if err != nil {
		t.Fatalf("Elapse: %v", err)
	}
	for _, h := range hosts {
		moved := siteTime(t, tg, h).Sub(before[h])
		if moved < 48*time.Hour || moved > 49*time.Hour {
			t.Errorf("%s: the clock moved %v after Elapse(48h) (%s)", h, moved, how)
		}
	}
	if d := tg.Clock.Offset(); d < 48*time.Hour {
		t.Errorf("the target's clock is %v ahead, want 48h", d)
	}
	// UDS still answers on the shared listener.
	resp, err := tg.HTTPClient(target.Inside).Get("https://ucm1.example.com:8443/cucm-uds/version")
	if err != nil {
		t.Fatalf("UDS beside hello: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("UDS beside hello: status %d", resp.StatusCode)
	}
}
