package steps

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
)

type srvLookup struct {
	domain, name string
	records      []dnsclient.SRV
	answer       *dnsclient.Answer
	err          error
}

type clusterUserResult struct {
	user        target.User
	byUsername  ucm.ClusterUser
	byEmail     ucm.ClusterUser
	errUsername error
	errEmail    error
}

type edgeResult struct {
	user target.User
	cfg  expressway.EdgeConfig
	err  error
}

type certResult struct {
	host  string
	chain []*x509.Certificate
	err   error
}

type discoveryState struct {
	lookups      []srvLookup
	udsTried     map[string]error // domain → nil when a top-N node answered
	uds          string
	edge         string // host:port of the first Expressway-E
	edgeHost     string
	clusterUsers []clusterUserResult
	unknown      ucm.ClusterUser
	unknownErr   error
	servers      map[string][]string // publisher → /servers list
	serversErr   map[string]error
	devicesErr   map[string]error
	edgeConfigs  []edgeResult
	badCredsErr  error
	certs        []certResult
	configURL    string
	results      []discoveryResult
}

type discoveryResult struct {
	user target.User
	res  *discovery.Result
	err  error
}

func registerDiscovery(sc *stepper) {
	sc.Step(`^it looks up "([^"]+)" for (every sign-in domain|every voice services domain|every UC Manager Profile domain|the services domain)$`, lookUpSRV)
	sc.Step(`^every domain has at least one SRV target$`, everyDomainHasTarget)
	sc.Step(`^no domain has an SRV target$`, noDomainHasTarget)
	sc.Step(`^every SRV target uses port (\d+)$`, everyTargetUsesPort)
	sc.Step(`^every SRV target is a fully qualified name( that resolves)?$`, everyTargetIsFQDN)
	sc.Step(`^it tries UDS on the top-priority "_cisco-uds._tcp" targets of every sign-in domain within the discovery budget$`, triesTopUDS)
	sc.Step(`^a UCM node answers /cucm-uds/version for every domain$`, udsAnsweredEveryDomain)
	sc.Step(`^the first UCM node that answers UDS$`, firstUDS)
	sc.Step(`^it asks clusterUser for every test user by username and by email$`, askClusterUsers)
	sc.Step(`^every test user is found both ways$`, everyUserFound)
	sc.Step(`^it asks clusterUser for the unknown user$`, askUnknownUser)
	sc.Step(`^the unknown user is answered found="false" with status 200$`, unknownNotFound)
	sc.Step(`^it fetches the servers list from every UCM cluster's publisher$`, fetchServerLists)
	sc.Step(`^every listed node answers /cucm-uds/version$`, everyListedNodeAnswers)
	sc.Step(`^it fetches the devices of every test user without credentials$`, devicesWithoutCredentials)
	sc.Step(`^every answer is 401 with Basic realm "([^"]+)"$`, everyAnswer401)
	sc.Step(`^the first Expressway-E that the "_collab-edge._tls" record names$`, firstEdge)
	sc.Step(`^it requests get_edge_config for every test user with the user's credentials$`, requestEdgeConfigs)
	sc.Step(`^every edge configuration lists "_cisco-uds" servers and a SIP edge server$`, edgeListsUDSAndSIP)
	sc.Step(`^it requests get_edge_config with wrong credentials$`, edgeWrongCredentials)
	sc.Step(`^the answer is 401 with Basic realm "([^"]+)"$`, answer401)
	sc.Step(`^its certificate has a SAN for every voice services domain$`, edgeSANs)
	sc.Step(`^it connects over TLS to port 8443 of every UCM node$`, connectUCMNodes)
	sc.Step(`^every certificate chains to a trusted root and is valid now$`, everyCertValid)
	sc.Step(`^its certificate chains to a trusted root and is valid now$`, everyCertValid)
	sc.Step(`^the site's configuration URL$`, siteConfigURL)
	sc.Step(`^it names a ServicesDomain and excludes only WEBEX, CUCM or CUP$`, configURLWellFormed)
	sc.Step(`^the discovery records of every sign-in domain answer the same over TCP as over UDP$`, sameOverTCP)
	sc.Step(`^every test user's home cluster is the publisher of the cluster the target names$`, homeClusterIsPublisher)
	sc.Step(`^every home cluster's servers list holds that cluster's nodes$`, serversListHoldsNodes)
	sc.Step(`^every test user runs service discovery$`, everyUserDiscovers)
	sc.Step(`^every discovery ends in MRA with an edge configuration$`, everyDiscoveryMRA)
	sc.Step(`^every discovery ends on a node of the user's home cluster$`, everyDiscoveryHomeCluster)
	sc.Step(`^every discovery lists the devices the target names for the user$`, everyDiscoveryDevices)
	sc.Step(`^no requested service is answered NameError$`, noNameError)
	sc.Step(`^every edge configuration names SIP, XMPP and HTTP edge servers$`, edgeNamesServers)
}

// Domain sets, all derived from the target file.

// signInDomains: the default voice services domain and every test user's
// email domain.
func signInDomains(s *target.Site) []string {
	var out []string
	if len(s.Domains.VoiceServices) > 0 {
		out = append(out, s.Domains.VoiceServices[0])
	}
	for _, u := range s.Users {
		out = appendUnique(out, u.Domain())
	}
	return out
}

// profileDomains: voice services domains set by UC Manager Profiles, i.e.
// the rest of the VSD list and users' own, less the sign-in domains.
func profileDomains(s *target.Site) []string {
	sign := signInDomains(s)
	var out []string
	add := func(d string) {
		if d != "" && !slices.Contains(sign, strings.ToLower(d)) {
			out = appendUnique(out, strings.ToLower(d))
		}
	}
	for _, d := range s.Domains.VoiceServices {
		add(d)
	}
	for _, u := range s.Users {
		add(u.VoiceServicesDomain)
	}
	return out
}

func allVoiceDomains(s *target.Site) []string {
	return append(signInDomains(s), profileDomains(s)...)
}

// userVSD is the domain a user's client discovers in.
func userVSD(u target.User) string {
	if u.VoiceServicesDomain != "" {
		return strings.ToLower(u.VoiceServicesDomain)
	}
	return u.Domain()
}

func appendUnique(list []string, s string) []string {
	s = strings.ToLower(s)
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (w *World) view() target.View { return w.T.From(w.where) }

// discoveryClient models the user's client. Its random choices (SRV
// weights, the cluster node) are seeded from the user so that a verdict is
// reproducible: the same site gives the same answer on every run.
func (w *World) discoveryClient(user string) *discovery.Client {
	return &discovery.Client{
		Resolver: w.view(),
		Budget:   w.T.Site.Discovery.Budget.D(),
		TopN:     w.T.Site.Discovery.TopN,
		Rand:     seeded(user),
	}
}

// seeded is a random source fixed by key: the same choice on every run.
func seeded(key string) *mrand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return mrand.New(mrand.NewPCG(1, h.Sum64()))
}

func lookUpSRV(ctx context.Context, service, which string) (context.Context, error) {
	w := worldFrom(ctx)
	var domains []string
	switch which {
	case "every sign-in domain":
		domains = signInDomains(w.T.Site)
	case "every voice services domain":
		domains = allVoiceDomains(w.T.Site)
	case "every UC Manager Profile domain":
		domains = profileDomains(w.T.Site)
	case "the services domain":
		domains = []string{w.T.Site.Domains.Services}
	}
	w.disc.lookups = nil
	var ev strings.Builder
	for _, d := range domains {
		name := service + "." + d
		l := srvLookup{domain: d, name: name}
		l.records, l.answer, l.err = w.T.LookupSRV(ctx, w.where, name)
		w.disc.lookups = append(w.disc.lookups, l)
		fmt.Fprintf(&ev, ";; %s SRV from %s (%s)\n", name, w.where, w.T.Resolver(w.where))
		if l.answer != nil {
			ev.WriteString(l.answer.String())
		}
		if l.err != nil {
			fmt.Fprintf(&ev, ";; error: %v\n", l.err)
		}
		ev.WriteString("\n")
	}
	if len(domains) == 0 {
		ev.WriteString("no domain of this kind in the target: nothing to look up\n")
	}
	return attach(ctx, "DNS answers", ev.String()), nil
}

func srvWhat(err error) string {
	switch {
	case errors.Is(err, dnsclient.ErrNXDomain):
		return "NXDOMAIN"
	case errors.Is(err, dnsclient.ErrNoData):
		return "no SRV records (NODATA)"
	case errors.Is(err, dnsclient.ErrServiceAbsent):
		return `the "." target (service decidedly absent)`
	}
	return err.Error()
}

func everyDomainHasTarget(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, l := range w.disc.lookups {
		switch {
		case l.err != nil:
			f.add("%s SRV from %s: want at least 1 target, got %s from %s", l.name, w.where, srvWhat(l.err), w.T.Resolver(w.where))
		case len(l.records) == 0:
			f.add("%s SRV from %s: want at least 1 target, got none from %s", l.name, w.where, w.T.Resolver(w.where))
		}
	}
	return f.err()
}

func noDomainHasTarget(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, l := range w.disc.lookups {
		if l.err == nil && len(l.records) > 0 {
			f.add("%s SRV from %s: want NXDOMAIN or no records, got %d target(s) (%s) from %s",
				l.name, w.where, len(l.records), targets(l.records), w.T.Resolver(w.where))
		} else if l.err != nil && !errors.Is(l.err, dnsclient.ErrNXDomain) && !errors.Is(l.err, dnsclient.ErrNoData) && !errors.Is(l.err, dnsclient.ErrServiceAbsent) {
			f.add("%s SRV from %s: want a clean NXDOMAIN or no records, got %v", l.name, w.where, l.err)
		}
	}
	return f.err()
}

func targets(rs []dnsclient.SRV) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = net.JoinHostPort(strings.TrimSuffix(r.Target, "."), strconv.Itoa(int(r.Port)))
	}
	return strings.Join(parts, ", ")
}

func everyTargetUsesPort(ctx context.Context, port int) error {
	w := worldFrom(ctx)
	var f failures
	for _, l := range w.disc.lookups {
		for _, r := range l.records {
			if int(r.Port) != port {
				f.add("%s SRV: target %s: want port %d, got %d", l.name, r.Target, port, r.Port)
			}
		}
	}
	return f.err()
}

func everyTargetIsFQDN(ctx context.Context, resolves string) (context.Context, error) {
	w := worldFrom(ctx)
	var f failures
	var ev strings.Builder
	for _, l := range w.disc.lookups {
		for _, r := range l.records {
			if err := dnsclient.CheckTarget(r.Target); err != nil {
				f.add("%s SRV: target %q: want a fully qualified host name, got %v", l.name, r.Target, err)
				continue
			}
			if resolves == "" {
				continue
			}
			addrs, cnames, err := w.T.LookupHost(ctx, w.where, r.Target)
			fmt.Fprintf(&ev, "%s from %s: %v cnames=%v err=%v\n", r.Target, w.where, addrs, cnames, err)
			if err != nil {
				f.add("%s SRV: target %s: want A/AAAA from %s, got %s", l.name, r.Target, w.where, srvWhat(err))
			} else if len(cnames) > 0 {
				f.add("%s SRV: target %s is an alias (CNAME %s); RFC 2782 wants the host's own name", l.name, r.Target, strings.Join(cnames, " → "))
			}
		}
	}
	if ev.Len() > 0 {
		ctx = attach(ctx, "target resolution", ev.String())
	}
	return ctx, f.err()
}

func triesTopUDS(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	w.disc.udsTried = map[string]error{}
	var ev strings.Builder
	for _, d := range signInDomains(w.T.Site) {
		base, trace, err := w.discoveryClient(d).FindUDS(ctx, d)
		w.disc.udsTried[d] = err
		fmt.Fprintf(&ev, "== %s (top %d, budget %s)\n%s\n=> %s %v\n\n", d, w.T.Site.Discovery.TopN, w.T.Site.Discovery.Budget.D(), strings.Join(trace, "\n"), base, err)
	}
	return attach(ctx, "UDS discovery", ev.String()), nil
}

func udsAnsweredEveryDomain(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, d := range signInDomains(w.T.Site) {
		if err := w.disc.udsTried[d]; err != nil {
			f.add("_cisco-uds._tcp.%s: want one of the top %d nodes to answer /cucm-uds/version within %s, got %v",
				d, w.T.Site.Discovery.TopN, w.T.Site.Discovery.Budget.D(), err)
		}
	}
	return f.err()
}

func firstUDS(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	d := signInDomains(w.T.Site)[0]
	base, trace, err := w.discoveryClient(d).FindUDS(ctx, d)
	ctx = attach(ctx, "UDS discovery", strings.Join(trace, "\n"))
	if err != nil {
		return ctx, fmt.Errorf("no UCM node to ask from %s: %w", w.where, err)
	}
	w.disc.uds = base
	return ctx, nil
}

func (w *World) udsClient() *ucm.Client { return ucm.NewClient(w.T.HTTPClient(w.where)) }

func askClusterUsers(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	c := w.udsClient()
	var ev strings.Builder
	w.disc.clusterUsers = nil
	for _, u := range w.T.Site.Users {
		r := clusterUserResult{user: u}
		var e1, e2 ucm.Evidence
		r.byUsername, e1, r.errUsername = c.ClusterUser(ctx, w.disc.uds, "username", u.Username)
		r.byEmail, e2, r.errEmail = c.ClusterUser(ctx, w.disc.uds, "email", u.Email)
		ev.WriteString(e1.String() + "\n" + e2.String() + "\n")
		w.disc.clusterUsers = append(w.disc.clusterUsers, r)
	}
	return attach(ctx, "clusterUser", ev.String()), nil
}

func everyUserFound(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.clusterUsers {
		for _, q := range []struct {
			by, value string
			cu        ucm.ClusterUser
			err       error
		}{{"username", r.user.Username, r.byUsername, r.errUsername}, {"email", r.user.Email, r.byEmail, r.errEmail}} {
			switch {
			case q.err != nil:
				f.add("%s/cucm-uds/clusterUser?%s=%s: want found=\"true\" without authentication, got %v", w.disc.uds, q.by, q.value, q.err)
			case !q.cu.Found:
				f.add("%s/cucm-uds/clusterUser?%s=%s: want found=\"true\", got found=\"false\"", w.disc.uds, q.by, q.value)
			}
		}
	}
	return f.err()
}

func askUnknownUser(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	var ev ucm.Evidence
	w.disc.unknown, ev, w.disc.unknownErr = w.udsClient().ClusterUser(ctx, w.disc.uds, "username", w.T.Site.Discovery.UnknownUser)
	return attach(ctx, "clusterUser unknown user", ev.String()), nil
}

func unknownNotFound(ctx context.Context) error {
	w := worldFrom(ctx)
	q := fmt.Sprintf("%s/cucm-uds/clusterUser?username=%s", w.disc.uds, w.T.Site.Discovery.UnknownUser)
	if err := w.disc.unknownErr; err != nil {
		return fmt.Errorf("%s: want 200 found=\"false\" for an unknown user, got %v", q, err)
	}
	if w.disc.unknown.Found {
		return fmt.Errorf("%s: want found=\"false\" for a user that must not exist, got found=\"true\"", q)
	}
	return nil
}

func fetchServerLists(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	c := w.udsClient()
	w.disc.servers, w.disc.serversErr = map[string][]string{}, map[string]error{}
	var ev strings.Builder
	for _, cl := range w.T.Site.UCM {
		p := cl.Publisher()
		list, e, err := c.Servers(ctx, base(p)+"/cucm-uds/servers")
		ev.WriteString(e.String() + "\n")
		w.disc.servers[p], w.disc.serversErr[p] = list, err
	}
	return attach(ctx, "servers lists", ev.String()), nil
}

func base(host string) string {
	return "https://" + net.JoinHostPort(strings.TrimSuffix(host, "."), "8443")
}

func everyListedNodeAnswers(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	c := w.udsClient()
	var f failures
	var ev strings.Builder
	for _, cl := range w.T.Site.UCM {
		p := cl.Publisher()
		if err := w.disc.serversErr[p]; err != nil {
			f.add("%s/cucm-uds/servers: want the node list, got %v", base(p), err)
			continue
		}
		for _, n := range w.disc.servers[p] {
			v, e, err := c.Version(ctx, base(n))
			ev.WriteString(e.String() + "\n")
			if err != nil {
				f.add("%s/cucm-uds/version (listed by %s): want an answer, got %v", base(n), p, err)
			} else if v.Version == "" {
				f.add("%s/cucm-uds/version: want a version, got none", base(n))
			}
		}
	}
	return attach(ctx, "node versions", ev.String()), f.err()
}

func devicesWithoutCredentials(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	c := w.udsClient()
	w.disc.devicesErr = map[string]error{}
	var ev strings.Builder
	for _, u := range w.T.Site.Users {
		_, e, err := c.UserDevices(ctx, w.disc.uds, u.Username, ucm.Auth{})
		ev.WriteString(e.String() + "\n")
		w.disc.devicesErr[u.Username] = err
	}
	return attach(ctx, "devices without credentials", ev.String()), nil
}

// want401 judges a reply that must be a Basic challenge with realm.
func want401(err error, realm string) string {
	var se *ucm.StatusError
	if err == nil {
		return "got 200: answered without authentication"
	}
	if !errors.As(err, &se) {
		return fmt.Sprintf("got %v", err)
	}
	if se.Code != 401 {
		return fmt.Sprintf("got status %d", se.Code)
	}
	scheme, params, _ := strings.Cut(strings.TrimSpace(se.WWWAuthenticate), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return fmt.Sprintf("got WWW-Authenticate %q (not Basic)", se.WWWAuthenticate)
	}
	if got := authParam(params, "realm"); got != realm {
		return fmt.Sprintf("got realm %q (WWW-Authenticate: %s)", got, se.WWWAuthenticate)
	}
	return ""
}

// authParam extracts a (possibly quoted) auth-param from a challenge.
func authParam(params, name string) string {
	for _, p := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			if u, err := strconv.Unquote(strings.TrimSpace(v)); err == nil {
				return u
			}
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

func everyAnswer401(ctx context.Context, realm string) error {
	w := worldFrom(ctx)
	var f failures
	for _, u := range w.T.Site.Users {
		if why := want401(w.disc.devicesErr[u.Username], realm); why != "" {
			f.add("%s/cucm-uds/user/%s/devices without credentials: want 401 Basic realm=%q, %s", w.disc.uds, u.Username, realm, why)
		}
	}
	return f.err()
}

func firstEdge(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	d := signInDomains(w.T.Site)[0]
	name := discovery.EdgeService + "." + d
	srvs, ans, err := w.T.LookupSRV(ctx, w.where, name)
	if ans != nil {
		ctx = attach(ctx, "DNS answer", ans.String())
	}
	if err != nil || len(srvs) == 0 {
		return ctx, fmt.Errorf("%s SRV from %s: want an Expressway-E, got %v", name, w.where, err)
	}
	r := dnsclient.Order(srvs, seeded(name))[0]
	w.disc.edgeHost = strings.TrimSuffix(r.Target, ".")
	w.disc.edge = net.JoinHostPort(w.disc.edgeHost, strconv.Itoa(int(r.Port)))
	chain, err := discovery.PeerCertificates(ctx, w.view().Dial, w.disc.edge, w.disc.edgeHost, w.T.Timeout())
	w.disc.certs = []certResult{{host: w.disc.edgeHost, chain: chain, err: err}}
	return attach(ctx, "certificate", describeChain(chain, err)), nil
}

func describeChain(chain []*x509.Certificate, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for i, c := range chain {
		fmt.Fprintf(&b, "%d subject=%q issuer=%q notBefore=%s notAfter=%s dns=%v", i, c.Subject.CommonName, c.Issuer.CommonName,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), c.DNSNames)
		if srv, _ := pki.SRVNames(c); len(srv) > 0 {
			fmt.Fprintf(&b, " srvnames=%v", srv)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func (w *World) edgeClient() *expressway.Client {
	return expressway.NewClient(w.T.HTTPClient(w.where))
}

func requestEdgeConfigs(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	if w.disc.edge == "" {
		return ctx, errors.New("no Expressway-E found")
	}
	c := w.edgeClient()
	w.disc.edgeConfigs = nil
	var ev strings.Builder
	for _, u := range w.T.Site.Users {
		cfg, e, err := c.GetEdgeConfig(ctx, "https://"+w.disc.edge, userVSD(u),
			expressway.Credentials{Username: u.Username, Password: u.Password}, "_cisco-uds", "_cuplogin")
		ev.WriteString(e.String() + "\n")
		w.disc.edgeConfigs = append(w.disc.edgeConfigs, edgeResult{user: u, cfg: cfg, err: err})
	}
	return attach(ctx, "get_edge_config", ev.String()), nil
}

func edgeListsUDSAndSIP(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.edgeConfigs {
		where := fmt.Sprintf("https://%s/%s/get_edge_config as %s", w.disc.edge, expressway.EncodeDomain(userVSD(r.user)), r.user.Username)
		if r.err != nil {
			f.add("%s: want 200 with the edge configuration, got %v", where, r.err)
			continue
		}
		s, ok := r.cfg.Service("_cisco-uds")
		switch {
		case !ok:
			f.add("%s: want a _cisco-uds service, got none", where)
		case s.Error != "":
			f.add("%s: want _cisco-uds servers, got <error>%s</error>", where, s.Error)
		case len(s.Servers) == 0:
			f.add("%s: want _cisco-uds servers, got an empty list", where)
		}
		if len(r.cfg.SIPEdge) == 0 {
			f.add("%s: want a sipEdgeServer, got none", where)
		}
	}
	return f.err()
}

func edgeWrongCredentials(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	if w.disc.edge == "" {
		return ctx, errors.New("no Expressway-E found")
	}
	if err := w.T.SpendAuthFailure(); err != nil {
		return ctx, err
	}
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	_, e, err := w.edgeClient().GetEdgeConfig(ctx, "https://"+w.disc.edge, signInDomains(w.T.Site)[0],
		expressway.Credentials{Username: w.T.Site.Discovery.UnknownUser, Password: "wrong-" + hex.EncodeToString(b)}, "_cisco-uds")
	w.disc.badCredsErr = err
	return attach(ctx, "get_edge_config with wrong credentials", e.String()), nil
}

func answer401(ctx context.Context, realm string) error {
	w := worldFrom(ctx)
	err := w.disc.badCredsErr
	var se *expressway.StatusError
	why := ""
	switch {
	case err == nil:
		why = "got 200: the edge configuration was served for wrong credentials"
	case !errors.As(err, &se):
		why = fmt.Sprintf("got %v", err)
	case se.Code != 401:
		why = fmt.Sprintf("got status %d", se.Code)
	default:
		scheme, params, _ := strings.Cut(strings.TrimSpace(se.WWWAuthenticate), " ")
		if !strings.EqualFold(scheme, "Basic") || authParam(params, "realm") != realm {
			why = fmt.Sprintf("got WWW-Authenticate %q", se.WWWAuthenticate)
		}
	}
	if why != "" {
		return fmt.Errorf("https://%s get_edge_config with wrong credentials: want 401 Basic realm=%q, %s", w.disc.edge, realm, why)
	}
	return nil
}

func edgeSANs(ctx context.Context) error {
	w := worldFrom(ctx)
	c := w.disc.certs[0]
	if c.err != nil {
		return fmt.Errorf("%s: want a certificate, got %v", w.disc.edge, c.err)
	}
	var f failures
	for _, d := range allVoiceDomains(w.T.Site) {
		if pki.EdgeSANForm(c.chain[0], d) == "" {
			f.add("%s certificate: want a SAN DNS:%s, DNS:collab-edge.%s or SRVName:_collab-edge._tls.%s, got DNS %v", w.disc.edge, d, d, d, c.chain[0].DNSNames)
		}
	}
	return f.err()
}

func connectUCMNodes(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	w.disc.certs = nil
	var ev strings.Builder
	for _, n := range w.T.Site.AllUCMNodes() {
		addr := net.JoinHostPort(n, "8443")
		chain, err := discovery.PeerCertificates(ctx, w.view().Dial, addr, n, w.T.Timeout())
		w.disc.certs = append(w.disc.certs, certResult{host: n, chain: chain, err: err})
		fmt.Fprintf(&ev, "== %s\n%s\n", addr, describeChain(chain, err))
	}
	return attach(ctx, "certificates", ev.String()), nil
}

func everyCertValid(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	now := time.Now()
	for _, c := range w.disc.certs {
		if c.err != nil {
			f.add("%s:8443: want a TLS certificate, got %v", c.host, c.err)
			continue
		}
		if err := discovery.VerifyChain(c.chain, w.T.Site.Roots, c.host, now); err != nil {
			f.add("%s:8443: want a certificate that chains to a trusted root and is valid now, got %v", c.host, err)
		}
	}
	return f.err()
}

func siteConfigURL(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	w.disc.configURL = w.T.Site.Discovery.ConfigURL
	if w.disc.configURL == "" {
		return attach(ctx, "configuration URL", "the target names no configuration URL: users discover by SRV only; nothing to check"), nil
	}
	return attach(ctx, "configuration URL", w.disc.configURL), nil
}

func configURLWellFormed(ctx context.Context) error {
	w := worldFrom(ctx)
	if w.disc.configURL == "" {
		return nil
	}
	c, err := discovery.ParseConfigURL(w.disc.configURL)
	if err != nil {
		return err
	}
	if p := c.Problems(); len(p) > 0 {
		return fmt.Errorf("config URL %q: %s", w.disc.configURL, strings.Join(p, "; "))
	}
	return nil
}

// discoveryRecords are the SRV names a client at w asks for domain d.
func discoveryRecords(w target.Where, s *target.Site, d string) []string {
	if w == target.Outside {
		return []string{discovery.EdgeService + "." + d}
	}
	out := []string{discovery.UDSService + "." + d}
	if d == s.Domains.Services {
		out = append(out, discovery.CUPService+"."+d)
	}
	return out
}

func sameOverTCP(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	var f failures
	var ev strings.Builder
	for _, d := range signInDomains(w.T.Site) {
		for _, name := range discoveryRecords(w.where, w.T.Site, d) {
			if err := w.T.Wait(ctx); err != nil {
				return ctx, err
			}
			udp, uerr := w.T.DNS(w.where).Exchange(ctx, name, dns.TypeSRV)
			tcp, terr := w.T.ExchangeTCP(ctx, w.where, name, dns.TypeSRV)
			fmt.Fprintf(&ev, ";; %s over UDP (then TCP on TC):\n%s\n;; over TCP:\n%s\n", name, answerText(udp, uerr), answerText(tcp, terr))
			switch {
			case terr != nil:
				f.add("%s SRV over TCP to %s: want an answer (RFC 7766: DNS over TCP is mandatory), got %v", name, w.T.Resolver(w.where), terr)
			case uerr != nil:
				f.add("%s SRV over UDP to %s: want an answer, got %v", name, w.T.Resolver(w.where), uerr)
			default:
				if a, b := rrset(udp), rrset(tcp); a != b {
					f.add("%s SRV: want the same records over UDP and TCP, got UDP [%s] vs TCP [%s]", name, a, b)
				}
			}
		}
	}
	return attach(ctx, "UDP and TCP answers", ev.String()), f.err()
}

func answerText(a *dnsclient.Answer, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return a.String()
}

func rrset(a *dnsclient.Answer) string {
	var out []string
	for _, rr := range a.Msg.Answer {
		c := dns.Copy(rr)
		c.Header().Ttl = 0 // caches may differ in TTL only
		out = append(out, c.String())
	}
	sort.Strings(out)
	return strings.Join(out, " | ")
}

func homeClusterIsPublisher(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.clusterUsers {
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		for _, q := range []struct {
			by  string
			cu  ucm.ClusterUser
			err error
		}{{"username", r.byUsername, r.errUsername}, {"email", r.byEmail, r.errEmail}} {
			switch {
			case q.err != nil:
				f.add("clusterUser?%s for %s: want home cluster %s, got %v", q.by, r.user.Username, cl.Publisher(), q.err)
			case !q.cu.Found:
				f.add("clusterUser?%s for %s: want home cluster %s, got found=\"false\"", q.by, r.user.Username, cl.Publisher())
			case !strings.EqualFold(strings.TrimSuffix(q.cu.HomeCluster, "."), cl.Publisher()):
				f.add("clusterUser?%s for %s: want home cluster %s (cluster %s), got %s", q.by, r.user.Username, cl.Publisher(), cl.Name, q.cu.HomeCluster)
			}
		}
	}
	return f.err()
}

func serversListHoldsNodes(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	c := w.udsClient()
	var f failures
	var ev strings.Builder
	for _, r := range w.disc.clusterUsers {
		if !r.byUsername.Found {
			continue // reported by the step before
		}
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		list, e, err := c.Servers(ctx, r.byUsername.ServersURI)
		ev.WriteString(e.String() + "\n")
		if err != nil {
			f.add("%s (home cluster of %s): want the node list, got %v", r.byUsername.ServersURI, r.user.Username, err)
			continue
		}
		got := lower(list)
		want := lower(cl.Nodes)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			f.add("%s (home cluster of %s): want nodes %v, got %v", r.byUsername.ServersURI, r.user.Username, want, got)
		}
	}
	return attach(ctx, "home cluster servers", ev.String()), f.err()
}

func lower(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(strings.TrimSuffix(s, "."))
	}
	return out
}

func everyUserDiscovers(ctx context.Context) (context.Context, error) {
	w := worldFrom(ctx)
	s := w.T.Site
	w.disc.results = nil
	var ev strings.Builder
	for _, u := range s.Users {
		res, err := w.discoveryClient(u.Email).Discover(ctx, discovery.Input{
			Email: u.Email, Username: u.Username, Password: u.Password,
			Manual: s.Discovery.Manual, ConfigURL: s.Discovery.ConfigURL, VoiceServicesDomain: u.VoiceServicesDomain,
		})
		w.disc.results = append(w.disc.results, discoveryResult{user: u, res: res, err: err})
		fmt.Fprintf(&ev, "== %s from %s\n%s\n=> mode %q err %v\n\n", u.Email, w.where, strings.Join(res.Trace, "\n"), res.Mode, err)
	}
	return attach(ctx, "client discovery", ev.String()), nil
}

func everyDiscoveryMRA(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.results {
		switch {
		case r.err != nil:
			f.add("discovery for %s from %s: want MRA through Expressway-E, got %v", r.user.Email, w.where, r.err)
		case r.res.Mode != discovery.ModeMRA:
			f.add("discovery for %s from %s: want mode mra, got %q (UDS %s)", r.user.Email, w.where, r.res.Mode, r.res.UDS)
		case r.res.EdgeConfig == nil:
			f.add("discovery for %s from %s: want an edge configuration, got none", r.user.Email, w.where)
		}
	}
	return f.err()
}

func everyDiscoveryHomeCluster(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.results {
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		switch {
		case r.err != nil && r.res.Mode != discovery.ModeUDS:
			f.add("discovery for %s from %s: want UCM directly (mode uds), got %v", r.user.Email, w.where, r.err)
		case r.res.Mode != discovery.ModeUDS:
			f.add("discovery for %s from %s: want mode uds, got %q", r.user.Email, w.where, r.res.Mode)
		case !slices.Contains(lower(cl.Nodes), strings.ToLower(r.res.Node)):
			f.add("discovery for %s from %s: want a node of home cluster %s %v, got node %q (home cluster %q, err %v)", r.user.Email, w.where, cl.Name, cl.Nodes, r.res.Node, r.res.HomeCluster, r.err)
		}
	}
	return f.err()
}

func everyDiscoveryDevices(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.results {
		if r.err != nil {
			f.add("discovery for %s from %s: want the user's devices, got %v", r.user.Email, w.where, r.err)
			continue
		}
		var have []string
		for _, d := range r.res.Devices {
			have = append(have, strings.ToUpper(d.Name))
		}
		for _, want := range r.user.Devices {
			if !slices.Contains(have, strings.ToUpper(want)) {
				f.add("devices of %s on %s: want %s, got %v", r.user.Username, r.res.Node, want, have)
			}
		}
	}
	return f.err()
}

func noNameError(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.edgeConfigs {
		if r.err != nil {
			f.add("get_edge_config as %s: want 200, got %v", r.user.Username, r.err)
			continue
		}
		for _, want := range []string{"_cisco-uds", "_cuplogin"} {
			s, ok := r.cfg.Service(want)
			switch {
			case !ok:
				f.add("get_edge_config as %s (%s): want service %s, got none", r.user.Username, userVSD(r.user), want)
			case s.Error != "":
				f.add("get_edge_config as %s (%s): want %s servers, got <error>%s</error>", r.user.Username, userVSD(r.user), want, s.Error)
			}
		}
	}
	return f.err()
}

func edgeNamesServers(ctx context.Context) error {
	w := worldFrom(ctx)
	var f failures
	for _, r := range w.disc.edgeConfigs {
		if r.err != nil {
			continue // reported by the step before
		}
		for _, e := range []struct {
			name string
			list []expressway.HostPort
			port int
		}{{"sipEdgeServer", r.cfg.SIPEdge, 5061}, {"xmppEdgeServer", r.cfg.XMPPEdge, 5222}, {"httpEdgeServer", r.cfg.HTTPEdge, 8443}} {
			if len(e.list) == 0 {
				f.add("get_edge_config as %s: want a %s (port %d), got none", r.user.Username, e.name, e.port)
			}
		}
	}
	return f.err()
}
