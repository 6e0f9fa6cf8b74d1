package disc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
	"example.com/cutover/steps"
)

func triesTopUDS(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.udsTried = map[string]error{}
	var ev strings.Builder
	for _, d := range w.T.Site.SignInDomains() {
		base, trace, err := discoveryClient(w, d).FindUDS(ctx, d)
		st.udsTried[d] = err
		fmt.Fprintf(&ev, "== %s (top %d, budget %s)\n%s\n=> %s %v\n\n", d, w.T.Site.Discovery.TopN, w.T.Site.Discovery.Budget.D(), strings.Join(trace, "\n"), base, err)
	}
	return steps.Attach(ctx, "UDS discovery", ev.String()), nil
}

func udsAnsweredEveryDomain(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, d := range w.T.Site.SignInDomains() {
		if err := st.udsTried[d]; err != nil {
			f.AddErr(err, "_cisco-uds._tcp.%s: want one of the top %d nodes to answer /cucm-uds/version within %s, got %v",
				d, w.T.Site.Discovery.TopN, w.T.Site.Discovery.Budget.D(), err)
		}
	}
	return f.Err()
}

func firstUDS(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	d := w.T.Site.SignInDomains()[0]
	base, trace, err := discoveryClient(w, d).FindUDS(ctx, d)
	ctx = steps.Attach(ctx, "UDS discovery", strings.Join(trace, "\n"))
	if err != nil {
		return ctx, fmt.Errorf("no UCM node to ask from %s: %w", w.Where, err)
	}
	st.uds = base
	return ctx, nil
}

func askClusterUsers(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := udsClient(w)
	var ev strings.Builder
	st.clusterUsers = nil
	for _, u := range w.Users() {
		r := clusterUserResult{user: u}
		var e1, e2 ucm.Evidence
		r.byUsername, e1, r.errUsername = c.ClusterUser(ctx, st.uds, "username", u.Username)
		r.byEmail, e2, r.errEmail = c.ClusterUser(ctx, st.uds, "email", u.Email)
		ev.WriteString(e1.String() + "\n" + e2.String() + "\n")
		st.clusterUsers = append(st.clusterUsers, r)
	}
	return steps.Attach(ctx, "clusterUser", ev.String()), nil
}

func everyUserFound(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.clusterUsers {
		var g steps.Failures
		for _, q := range []struct {
			by, value string
			cu        ucm.ClusterUser
			err       error
		}{{"username", r.user.Username, r.byUsername, r.errUsername}, {"email", r.user.Email, r.byEmail, r.errEmail}} {
			switch {
			case q.err != nil:
				g.AddErr(q.err, "%s/cucm-uds/clusterUser?%s=%s: want found=\"true\" without authentication, got %v", st.uds, q.by, q.value, q.err)
			case !q.cu.Found:
				g.Add("%s/cucm-uds/clusterUser?%s=%s: want found=\"true\", got found=\"false\"", st.uds, q.by, q.value)
			}
		}
		f.Subject(ctx, r.user.Username, g.Err())
	}
	return f.Err()
}

func askUnknownUser(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var ev ucm.Evidence
	st.unknown, ev, st.unknownErr = udsClient(w).ClusterUser(ctx, st.uds, "username", w.T.Site.Discovery.UnknownUser)
	return steps.Attach(ctx, "clusterUser unknown user", ev.String()), nil
}

func unknownNotFound(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	q := fmt.Sprintf("%s/cucm-uds/clusterUser?username=%s", st.uds, w.T.Site.Discovery.UnknownUser)
	if err := st.unknownErr; err != nil {
		return fmt.Errorf("%s: want 200 found=\"false\" for an unknown user, got %w", q, err)
	}
	if st.unknown.Found {
		return fmt.Errorf("%s: want found=\"false\" for a user that must not exist, got found=\"true\"", q)
	}
	return nil
}

func fetchServerLists(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := udsClient(w)
	st.servers, st.serversErr = map[string][]string{}, map[string]error{}
	var ev strings.Builder
	for _, cl := range w.T.Site.UCM {
		p := cl.Publisher()
		list, e, err := c.Servers(ctx, base(p, cl.Port())+"/cucm-uds/servers")
		ev.WriteString(e.String() + "\n")
		st.servers[p], st.serversErr[p] = list, err
	}
	return steps.Attach(ctx, "servers lists", ev.String()), nil
}

func everyListedNodeAnswers(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := udsClient(w)
	var f steps.Failures
	var ev strings.Builder
	for _, cl := range w.T.Site.UCM {
		p := cl.Publisher()
		if err := st.serversErr[p]; err != nil {
			f.AddErr(err, "%s/cucm-uds/servers: want the node list, got %v", base(p, cl.Port()), err)
			continue
		}
		nodes, cut := target.Follow(w.T, st.servers[p])
		if cut {
			fmt.Fprintf(&ev, "%s lists %d nodes; the first %d are followed (limits.max_targets)\n", p, len(st.servers[p]), len(nodes))
		}
		for _, n := range nodes {
			// A listed node serves UDS on its cluster's port.
			v, e, err := c.Version(ctx, base(n, cl.Port()))
			ev.WriteString(e.String() + "\n")
			if err != nil {
				f.AddErr(err, "%s/cucm-uds/version (listed by %s): want an answer, got %v", base(n, cl.Port()), p, err)
			} else if v.Version == "" {
				f.Add("%s/cucm-uds/version: want a version, got none", base(n, cl.Port()))
			}
		}
	}
	return steps.Attach(ctx, "node versions", ev.String()), f.Err()
}

func devicesWithoutCredentials(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := udsClient(w)
	st.devicesErr = map[string]error{}
	var ev strings.Builder
	for _, u := range w.Users() {
		_, e, err := c.UserDevices(ctx, st.uds, u.Username, ucm.Auth{})
		ev.WriteString(e.String() + "\n")
		st.devicesErr[u.Username] = err
	}
	return steps.Attach(ctx, "devices without credentials", ev.String()), nil
}

// base is the UDS base URL of host on port.
func base(host string, port int) string {
	return "https://" + net.JoinHostPort(strings.TrimSuffix(host, "."), strconv.Itoa(port))
}

// wantBasic judges a reply that must be a 401 with a Basic challenge for
// realm; "" when it is.
func wantBasic(err error, realm string) string {
	var se *httpx.StatusError
	switch {
	case err == nil:
		return "got 200: answered without authentication"
	case !errors.As(err, &se):
		return fmt.Sprintf("got %v", err)
	case se.Code != 401:
		return fmt.Sprintf("got status %d", se.Code)
	}
	cs, perr := httpauth.ParseChallenges(se.WWWAuthenticate)
	if perr != nil {
		return fmt.Sprintf("got a WWW-Authenticate that does not parse (%q): %v", se.WWWAuthenticate, perr)
	}
	for _, c := range cs {
		if c.Is("Basic") {
			if got, _ := c.Param("realm"); got != realm {
				return fmt.Sprintf("got realm %q (WWW-Authenticate: %s)", got, se.WWWAuthenticate)
			}
			return ""
		}
	}
	return fmt.Sprintf("got WWW-Authenticate %q (no Basic challenge)", se.WWWAuthenticate)
}

func everyAnswer401(ctx context.Context, realm string) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, u := range w.Users() {
		if why := wantBasic(st.devicesErr[u.Username], realm); why != "" {
			f.AddErr(st.devicesErr[u.Username], "%s/cucm-uds/user/%s/devices without credentials: want 401 Basic realm=%q, %s", st.uds, u.Username, realm, why)
		}
	}
	return f.Err()
}

func homeClusterIsPublisher(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, r := range st.clusterUsers {
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		for _, q := range []struct {
			by  string
			cu  ucm.ClusterUser
			err error
		}{{"username", r.byUsername, r.errUsername}, {"email", r.byEmail, r.errEmail}} {
			switch {
			case q.err != nil:
				f.AddErr(q.err, "clusterUser?%s for %s: want home cluster %s, got %v", q.by, r.user.Username, cl.Publisher(), q.err)
			case !q.cu.Found:
				f.Add("clusterUser?%s for %s: want home cluster %s, got found=\"false\"", q.by, r.user.Username, cl.Publisher())
			case !strings.EqualFold(strings.TrimSuffix(q.cu.HomeCluster, "."), cl.Publisher()):
				f.Add("clusterUser?%s for %s: want home cluster %s (cluster %s), got %s", q.by, r.user.Username, cl.Publisher(), cl.Name, q.cu.HomeCluster)
			}
		}
	}
	return f.Err()
}

func serversListHoldsNodes(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := udsClient(w)
	var f steps.Failures
	var ev strings.Builder
	for _, r := range st.clusterUsers {
		if !r.byUsername.Found {
			continue // reported by the step before
		}
		cl, _ := w.T.Site.Cluster(r.user.HomeCluster)
		list, e, err := c.Servers(ctx, r.byUsername.ServersURI)
		ev.WriteString(e.String() + "\n")
		if err != nil {
			f.AddErr(err, "%s (home cluster of %s): want the node list, got %v", r.byUsername.ServersURI, r.user.Username, err)
			continue
		}
		got := lower(list)
		want := lower(cl.Nodes)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			f.Add("%s (home cluster of %s): want nodes %v, got %v", r.byUsername.ServersURI, r.user.Username, want, got)
		}
	}
	return steps.Attach(ctx, "home cluster servers", ev.String()), f.Err()
}

func lower(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(strings.TrimSuffix(s, "."))
	}
	return out
}

func connectUCMNodes(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.certs = nil
	var ev strings.Builder
	for _, cl := range w.T.Site.UCM {
		for _, n := range cl.Nodes {
			addr := net.JoinHostPort(n, strconv.Itoa(cl.Port()))
			chain, err := pki.PeerCertificates(ctx, w.View().Dial, addr, n, w.T.Timeout())
			st.certs = append(st.certs, certResult{host: n, addr: addr, chain: chain, err: err})
			fmt.Fprintf(&ev, "== %s\n%s\n", addr, pki.DescribeChain(chain, err))
		}
	}
	return steps.Attach(ctx, "certificates", ev.String()), nil
}

func everyCertValid(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	now := w.Now()
	for _, c := range st.certs {
		if c.err != nil {
			f.AddErr(c.err, "%s: want a TLS certificate, got %v", c.addr, c.err)
			continue
		}
		if err := pki.VerifyChain(c.chain, w.T.Site.Roots, c.host, now); err != nil {
			f.Add("%s: want a certificate that chains to a trusted root and is valid now, got %v", c.addr, err)
		}
	}
	return f.Err()
}
