package disc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

func firstEdge(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	d := w.T.Site.SignInDomains()[0]
	name := discovery.EdgeService + "." + d
	srvs, ans, err := w.T.LookupSRV(ctx, w.Where, name)
	if ans != nil {
		ctx = steps.Attach(ctx, "DNS answer", ans.String())
	}
	if err != nil || len(srvs) == 0 {
		return ctx, fmt.Errorf("%s SRV from %s: want an Expressway-E, got %w", name, w.Where, err)
	}
	r := dnsclient.Order(srvs, steps.Seeded(name))[0]
	st.edgeHost = strings.TrimSuffix(r.Target, ".")
	st.edge = net.JoinHostPort(st.edgeHost, strconv.Itoa(int(r.Port)))
	chain, err := pki.PeerCertificates(ctx, w.View().Dial, st.edge, st.edgeHost, w.T.Timeout())
	st.certs = []certResult{{host: st.edgeHost, addr: st.edge, chain: chain, err: err}}
	return steps.Attach(ctx, "certificate", pki.DescribeChain(chain, err)), nil
}

func requestEdgeConfigs(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	if st.edge == "" {
		return ctx, errors.New("no Expressway-E found")
	}
	c := edgeClient(w)
	st.edgeConfigs = nil
	var ev strings.Builder
	for _, u := range w.Users() {
		cfg, e, err := c.GetEdgeConfig(ctx, "https://"+st.edge, u.VSD(),
			expressway.Credentials{Username: u.Username, Password: u.Password}, "_cisco-uds", "_cuplogin")
		ev.WriteString(e.String() + "\n")
		st.edgeConfigs = append(st.edgeConfigs, edgeResult{user: u, cfg: cfg, err: err})
	}
	return steps.Attach(ctx, "get_edge_config", ev.String()), nil
}

func edgeListsUDSAndSIP(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.edgeConfigs {
		where := fmt.Sprintf("https://%s/%s/get_edge_config as %s", st.edge, expressway.EncodeDomain(r.user.VSD()), r.user.Username)
		if r.err != nil {
			f.AddErr(r.err, "%s: want 200 with the edge configuration, got %v", where, r.err)
			continue
		}
		s, ok := r.cfg.Service("_cisco-uds")
		switch {
		case !ok:
			f.Add("%s: want a _cisco-uds service, got none", where)
		case s.Error != "":
			f.Add("%s: want _cisco-uds servers, got <error>%s</error>", where, s.Error)
		case len(s.Servers) == 0:
			f.Add("%s: want _cisco-uds servers, got an empty list", where)
		}
		if len(r.cfg.SIPEdge) == 0 {
			f.Add("%s: want a sipEdgeServer, got none", where)
		}
	}
	return f.Err()
}

func edgeWrongCredentials(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	if st.edge == "" {
		return ctx, errors.New("no Expressway-E found")
	}
	// The probe goes out at most once per host in this process, and only
	// while the host's failure budget allows; repeats see its first answer.
	type answer struct {
		evidence string
		err      error
	}
	res, err := target.Probe(ctx, w.T, st.edgeHost, "get_edge_config with a user that must not exist", func(ctx context.Context) (answer, error) {
		b := make([]byte, 9)
		_, _ = rand.Read(b)
		_, e, err := edgeClient(w).GetEdgeConfig(ctx, "https://"+st.edge, w.T.Site.SignInDomains()[0],
			expressway.Credentials{Username: w.T.Site.Discovery.UnknownUser, Password: "wrong-" + hex.EncodeToString(b)}, "_cisco-uds")
		return answer{e.String(), err}, nil
	})
	if err != nil {
		return ctx, err
	}
	st.badCredsErr = res.err
	return steps.Attach(ctx, "get_edge_config with wrong credentials", res.evidence), nil
}

func answer401(ctx context.Context, realm string) error {
	st := state(ctx)
	why := wantBasic(st.badCredsErr, realm)
	if st.badCredsErr == nil {
		why = "got 200: the edge configuration was served for wrong credentials"
	}
	if why != "" {
		var f steps.Failures
		f.AddErr(st.badCredsErr, "https://%s get_edge_config with wrong credentials: want 401 Basic realm=%q, %s", st.edge, realm, why)
		return f.Err()
	}
	return nil
}

func edgeSANs(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	c := st.certs[0]
	if c.err != nil {
		return fmt.Errorf("%s: want a certificate, got %w", st.edge, c.err)
	}
	var f steps.Failures
	for _, d := range w.T.Site.VoiceDomains() {
		if pki.EdgeSANForm(c.chain[0], d) == "" {
			f.Add("%s certificate: want a SAN DNS:%s, DNS:collab-edge.%s or SRVName:_collab-edge._tls.%s, got DNS %v", st.edge, d, d, d, c.chain[0].DNSNames)
			steps.Hint(ctx, "reissue the %s certificate with the SAN DNS:collab-edge.%s (or DNS:%s, or SRVName:_collab-edge._tls.%s) beside its current names", st.edge, d, d, d)
		}
	}
	return f.Err()
}

func noNameError(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.edgeConfigs {
		if r.err != nil {
			f.AddErr(r.err, "get_edge_config as %s: want 200, got %v", r.user.Username, r.err)
			continue
		}
		for _, want := range []string{"_cisco-uds", "_cuplogin"} {
			s, ok := r.cfg.Service(want)
			switch {
			case !ok:
				f.Add("get_edge_config as %s (%s): want service %s, got none", r.user.Username, r.user.VSD(), want)
			case s.Error != "":
				f.Add("get_edge_config as %s (%s): want %s servers, got <error>%s</error>", r.user.Username, r.user.VSD(), want, s.Error)
			}
		}
	}
	return f.Err()
}

func edgeNamesServers(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.edgeConfigs {
		if r.err != nil {
			continue // reported by the step before
		}
		for _, e := range []struct {
			name string
			list []expressway.HostPort
			port int
		}{{"sipEdgeServer", r.cfg.SIPEdge, 5061}, {"xmppEdgeServer", r.cfg.XMPPEdge, 5222}, {"httpEdgeServer", r.cfg.HTTPEdge, 8443}} {
			if len(e.list) == 0 {
				f.Add("get_edge_config as %s: want a %s (port %d), got none", r.user.Username, e.name, e.port)
			}
		}
	}
	return f.Err()
}
