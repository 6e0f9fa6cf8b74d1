package target_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/target"
)

// siteYAML is a small lab target file. The password of alice is named by
// an environment variable, never written in the file.
const siteYAML = `name: example lab
domains:
  services: example.com
vantage:
  inside:
    resolver: 127.0.0.1:5300
  outside:
    resolver: 127.0.0.1:5301
ucm:
  - name: ucm-a
    nodes: [ucm1.example.com, ucm2.example.com]
users:
  - username: alice
    email: alice@example.com
    home_cluster: ucm-a
    password_env: CUTOVER_PASSWORD_ALICE
`

// lookup stands in for os.LookupEnv.
func lookup(vars map[string]string) target.Env {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// Load fills in the defaults of everything the file leaves out and
// remembers where each field was written.
func ExampleLoad() {
	site, err := target.Load("site.yaml", []byte(siteYAML), lookup(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("kind:", site.Kind)
	fmt.Println("voice services:", site.Domains.VoiceServices, "imp:", site.Domains.IMP)
	fmt.Println("discovery:", site.Discovery.Budget.D(), "top", site.Discovery.TopN, "unknown user", site.Discovery.UnknownUser)
	fmt.Println("limits:", site.Limits.RPS, "rps,", site.Limits.MaxAuthFailures, "auth failures,", site.Limits.Timeout.D(), "per call")
	fmt.Println("password read:", site.Users[0].Password != "")
	fmt.Println(site.Where("users[0].email"))
	// Output:
	// kind: lab
	// voice services: [example.com] imp: example.com
	// discovery: 20s top 2 unknown user cutover-no-such-user
	// limits: 5 rps, 2 auth failures, 10s per call
	// password read: true
	// site.yaml:14: field users[0].email
}

// Every problem of a file is reported at once, each with its file, line
// and field path; the error as a whole is an ErrConfig.
func ExampleLoad_errors() {
	bad := `domains:
  services: example.com
vantage:
  inside:
    resolver: dns.example.com:53
  outside:
    resolver: 127.0.0.1:99999
ucm:
  - name: ucm-a
    nodes: [ucm1]
users:
  - username: alice
    email: alice
    home_cluster: ucm-b
    password_env: CUTOVER_PASSWORD_ALICE
`
	_, err := target.Load("site.yaml", []byte(bad), lookup(nil))
	fmt.Println(err)
	fmt.Println("ErrConfig:", errors.Is(err, target.ErrConfig))

	// Unknown keys and wrong types are reported with the value problems of
	// the same file, all at once, in line order; a field that is missing
	// altogether points at its parent, or line 1.
	_, err = target.Load("site.yaml", []byte("domains:\n  service: example.com\ndiscovery:\n  budget: 20\n  top_n: two\n"), lookup(nil))
	fmt.Println(err)
	// Output:
	// site.yaml:5: field vantage.inside.resolver: want an IP address, got "dns.example.com"
	// site.yaml:7: field vantage.outside.resolver: port "99999" out of range 1-65535
	// site.yaml:10: field ucm[0].nodes[0]: want a fully qualified name like host.example.com, got "ucm1"
	// site.yaml:13: field users[0].email: want an address like alice@example.com, got "alice"
	// site.yaml:14: field users[0].home_cluster: no UCM cluster named "ucm-b"
	// site.yaml:15: field users[0].password_env: environment variable CUTOVER_PASSWORD_ALICE is not set
	// ErrConfig: true
	// site.yaml:1: field domains.services: required
	// site.yaml:1: field vantage.inside.resolver: required (host:port)
	// site.yaml:1: field vantage.outside.resolver: required (host:port)
	// site.yaml:1: field ucm: at least one UCM cluster is required
	// site.yaml:1: field users: at least one test user is required
	// site.yaml:2: field domains.service: unknown key in Domains
	// site.yaml:4: field discovery.budget: not a duration (want e.g. 20s): "20"
	// site.yaml:5: field discovery.top_n: cannot unmarshal !!str `two` into int
}

// A Target redacts every secret of the site, and any credential header,
// from text bound for a report.
func ExampleTarget_Redact() {
	site, err := target.Load("site.yaml", []byte(siteYAML), lookup(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	t := target.New(site)
	defer t.Close()
	t.AddSecret("eyJhbGciOiJub25lIn0.token") // e.g. a token minted during the run
	fmt.Print(t.Redact("GET /cucm-uds/user/alice/devices\nAuthorization: Basic YWxpY2U6czNjcmV0LWFsaWNl\nbody: s3cret-alice eyJhbGciOiJub25lIn0.token\n"))
	// Output:
	// GET /cucm-uds/user/alice/devices
	// Authorization: [REDACTED]
	// body: [REDACTED] [REDACTED]
}

// A deliberate bad-credential probe is sent at most once per host in a
// process (a repeat gets the first answer), and only while the host's
// failure budget (limits.max_auth_failures in the lockout window) allows.
func ExampleProbe() {
	site, err := target.Load("site.yaml", []byte(siteYAML), lookup(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	t := target.New(site)
	defer t.Close()
	sent := 0
	probe := func(context.Context) (string, error) { sent++; return "401 Basic realm=\"Cisco-Edge\"", nil }
	for i := 1; i <= 2; i++ {
		got, err := target.Probe(context.Background(), t, "expe1.example.com", "get_edge_config", probe)
		fmt.Printf("run %d: %q %v\n", i, got, err)
	}
	_, err = target.Probe(context.Background(), t, "expe1.example.com", "another probe", probe)
	_, err = target.Probe(context.Background(), t, "expe1.example.com", "a third probe", probe)
	fmt.Println("sent:", sent, "third:", errors.Is(err, target.ErrSafetyLimit), errors.Is(err, target.ErrNotTested))
	// Output:
	// run 1: "401 Basic realm=\"Cisco-Edge\"" <nil>
	// run 2: "401 Basic realm=\"Cisco-Edge\"" <nil>
	// sent: 2 third: true true
}

// A client inside resolves ucm1.example.com through the inside resolver and
// connect_to sends the connection to the server that plays ucm1; from
// outside the name does not resolve, so it cannot be reached.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	inside, err := dnsfake.Start(ctx, dnsfake.WithZoneText("ucm1.example.com. 300 IN A 127.0.1.1\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inside.Close()
	outside, err := dnsfake.Start(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer outside.Close()
	ucm1 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from ucm1, you asked for %s", r.Host)
	}))
	defer ucm1.Close()

	file := siteYAML + fmt.Sprintf(`connect_to:
  - from: 127.0.1.1:8443
    to: %s
`, ucm1.Listener.Addr())
	site, err := target.Load("site.yaml", []byte(file), lookup(map[string]string{"CUTOVER_PASSWORD_ALICE": "s3cret-alice"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	site.Vantage.Inside.Resolver, site.Vantage.Outside.Resolver = inside.Addr(), outside.Addr()
	t := target.New(site)
	defer t.Close()

	resp, err := t.From(target.Inside).HTTP().Get("http://ucm1.example.com:8443/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("inside:", resp.StatusCode, string(body))

	_, err = t.From(target.Outside).Dial(ctx, "tcp", "ucm1.example.com:8443")
	fmt.Println("outside: does not resolve:", errors.Is(err, target.ErrNoAddress))
	// Output:
	// inside: 200 hello from ucm1, you asked for ucm1.example.com:8443
	// outside: does not resolve: true
}
