package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/devcfg"
	"example.com/cutover/harness/sipreg/softphone"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// nodeUser is the first test user homed on node's cluster, with a
// softphone device, to put in the AOR of a tokenless REGISTER.
func nodeUser(w *steps.World, node string) (target.User, string, bool) {
	cl, _ := w.T.Site.ClusterOf(node)
	for _, u := range w.Users() {
		if u.HomeCluster == cl.Name {
			if d := softphones(u); len(d) > 0 {
				return u, d[0], true
			}
		}
	}
	return target.User{}, "", false
}

func tokenlessEveryNode(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.regs = nil
	for _, node := range w.T.Site.AllUCMNodes() {
		r := regResult{subject: node, node: w.T.Site.SIP.OAuthAddr(node)}
		u, dev, ok := nodeUser(w, node)
		if !ok {
			r.err = steps.NotApplicable("no test user with a softphone device is homed on %s's cluster", node)
			st.regs = append(st.regs, r)
			continue
		}
		r.user, r.device = u, dev
		c, err := phone(ctx, w, node, nil)
		if err != nil {
			return ctx, err
		}
		r.res, r.err = tokenless(ctx, c, r.node, u, dev)
		st.regs = append(st.regs, r)
	}
	return steps.Attach(ctx, "REGISTER without credentials", evidence(st.regs)), nil
}

// want407 judges a tokenless REGISTER's answer: UCM's Bearer 407 with
// realm; "" when it is.
func want407(r regResult, realm string) error {
	switch {
	case r.err != nil:
		return fmt.Errorf("%s: want 407 Proxy-Authenticate: Bearer realm=%q to REGISTER without credentials, got %w", r.node, realm, r.err)
	case r.res.Challenge == nil:
		return fmt.Errorf("%s: want 407 Bearer realm=%q, got %s", r.node, realm, r.res.Reason)
	}
	ch := r.res.Challenge
	switch {
	case ch.Status != 407:
		return fmt.Errorf("%s: want 407 Proxy Authentication Required (UCM's challenge), got %d with %s", r.node, ch.Status, ch.Header)
	case ch.Realm != realm:
		return fmt.Errorf("%s: want Proxy-Authenticate: Bearer realm=%q, got realm %q", r.node, realm, ch.Realm)
	}
	return nil
}

func everyNode407(ctx context.Context, realm string) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.regs {
		err := r.err
		if !errors.Is(err, steps.ErrNotApplicable) {
			err = want407(r, realm)
			switch {
			case errors.Is(err, softphone.ErrNoChallenge):
				steps.Hint(ctx, "%s registered a device without credentials: enable SIP OAuth (utils sipOAuth-mode enable, restart Cisco CallManager) and \"Enable OAuth Authentication\" in the device security profiles", r.subject)
			case errors.Is(err, sipreg.ErrDigestOnly):
				steps.Hint(ctx, "%s offers only Digest: the Webex App has no Digest with SIP OAuth; enable OAuth in the security profile instead of Digest Authentication", r.subject)
			}
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

func tokenlessEveryDevice(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.regs = nil
	for _, u := range w.Users() {
		nodes := homeNodes(w, u)
		for i, dev := range softphones(u) {
			node := nodes[i%len(nodes)]
			r := regResult{subject: u.Username + "/" + dev, user: u, device: dev, node: w.T.Site.SIP.OAuthAddr(node)}
			c, err := phone(ctx, w, node, nil)
			if err != nil {
				return ctx, err
			}
			r.res, r.err = tokenless(ctx, c, r.node, u, dev)
			st.regs = append(st.regs, r)
		}
	}
	return steps.Attach(ctx, "REGISTER without credentials per device", evidence(st.regs)), nil
}

func noPortMismatch(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.regs {
		var err error
		switch {
		case errors.Is(r.err, softphone.ErrPortMismatch):
			err = fmt.Errorf("%s: want a Bearer challenge on the OAuth port, got 403 (Warning: %s): the device's security profile lacks OAuth", r.node, r.res.Warning)
			steps.Hint(ctx, "check \"Enable OAuth Authentication\" in the SIP security profile of %s (System > Security > Phone Security Profile) and reset the device", r.device)
		case r.err != nil && r.res != nil && r.res.Status == 404:
			err = steps.NotApplicable("%s does not exist on %s (SIPO-07 reports it)", r.device, r.node)
		case r.err != nil:
			err = fmt.Errorf("%s: want a Bearer challenge, got %w", r.node, r.err)
		case r.res.Challenge == nil:
			err = fmt.Errorf("%s: want a Bearer challenge, got %s", r.node, r.res.Reason)
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

// tftpBase is the TFTP HTTP base URL of a node.
func tftpBase(w *steps.World, node string) string {
	return "http://" + net.JoinHostPort(strings.TrimSuffix(node, "."), strconv.Itoa(w.T.Site.SIP.TFTPPort))
}

func fetchConfigs(ctx context.Context, which string) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	st.configs = nil
	hc := w.T.HTTPClient(w.Where)
	var ev strings.Builder
	for _, u := range w.Users() {
		devs := softphones(u)
		if which == "every test user's first device" && len(devs) > 1 {
			devs = devs[:1]
		}
		nodes := homeNodes(w, u)
		for _, d := range devs {
			r := cfgResult{user: u, device: d, base: tftpBase(w, nodes[0])}
			var e httpx.Evidence
			r.cfg, e, r.err = devcfg.Fetch(ctx, hc, r.base, d)
			ev.WriteString(e.String() + "\n")
			st.configs = append(st.configs, r)
		}
	}
	return steps.Attach(ctx, "device configuration files", ev.String()), nil
}

func configsOAuth(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	sip := w.T.Site.SIP
	var f steps.Failures
	if len(st.configs) == 0 {
		return steps.NotApplicable("no test user has a softphone device")
	}
	for _, r := range st.configs {
		var g steps.Failures
		if r.err != nil {
			g.AddErr(r.err, "%s/%s%s: want the device's configuration, got %v", r.base, r.device, devcfg.Suffix, r.err)
		} else {
			for _, e := range unwrapAll(r.cfg.CheckOAuth()) {
				g.Add("%s/%s%s: %v", r.base, r.device, devcfg.Suffix, e)
			}
			for _, n := range r.cfg.Nodes {
				if n.OAuthPort != 0 && n.OAuthPort != sip.OAuthPort {
					g.Add("%s: node %s: want <sipOAuthPort>%d</sipOAuthPort> (the target's), got %d", r.device, n.Name, sip.OAuthPort, n.OAuthPort)
				}
				if n.MRAOAuthPort != 0 && n.MRAOAuthPort != sip.MRAOAuthPort {
					g.Add("%s: node %s: want <sipMRAOAuthPort>%d</sipMRAOAuthPort> (the target's), got %d", r.device, n.Name, sip.MRAOAuthPort, n.MRAOAuthPort)
				}
			}
			if r.cfg.OAuthMode != 1 {
				steps.Hint(ctx, "enable SIP OAuth on the cluster of %s: utils sipOAuth-mode enable on the publisher, then restart Cisco CallManager on every node", r.user.Username)
			}
		}
		f.Subject(ctx, r.user.Username+"/"+r.device, g.Err())
	}
	return f.Err()
}

// unwrapAll splits a joined error into its parts.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func portsListen(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	sip := w.T.Site.SIP
	dial := w.T.DialContext(w.Where)
	var f steps.Failures
	var ev strings.Builder
	for _, node := range w.T.Site.AllUCMNodes() {
		var g steps.Failures
		// The OAuth port: a TLS handshake verified against the node's name.
		addr := sip.OAuthAddr(node)
		chain, err := pki.PeerCertificates(ctx, pki.DialFunc(dial), addr, node, w.T.Timeout())
		fmt.Fprintf(&ev, "%s (SIP OAuth, TLS): %s\n", addr, pki.DescribeChain(chain, err))
		if err == nil {
			err = pki.VerifyChain(chain, w.T.Site.Roots, node, w.Now())
		}
		if err != nil {
			g.AddErr(err, "%s: want TLS with a certificate for %s the clients trust, got %v", addr, node, err)
		}
		// The MRA port wants a client certificate: a TCP connection shows
		// it listens.
		maddr := sip.MRAAddr(node)
		c, err := dial(ctx, "tcp", maddr)
		if err == nil {
			_ = c.Close()
			fmt.Fprintf(&ev, "%s (MRA OAuth, mutual TLS): listening\n", maddr)
		} else {
			fmt.Fprintf(&ev, "%s (MRA OAuth, mutual TLS): %v\n", maddr, err)
			g.AddErr(err, "%s: want the MRA OAuth port listening, got %v", maddr, err)
		}
		f.Subject(ctx, node, g.Err())
	}
	return steps.Attach(ctx, "SIP OAuth ports", ev.String()), f.Err()
}

func devicesPerType(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, u := range w.Users() {
		var g steps.Failures
		have := map[sipreg.DeviceType]bool{}
		for _, d := range u.Devices {
			if t, ok := deviceType(d); ok {
				have[t] = true
			}
		}
		for _, t := range u.DeviceTypes {
			if !have[sipreg.DeviceType(t)] {
				g.Add("no %s device (%s) in the target for %s", t, strings.Join(sipreg.DeviceType(t).Platforms(), ", "), u.Username)
			}
		}
		for _, r := range st.configs {
			if r.user.Username != u.Username {
				continue
			}
			var se *httpx.StatusError
			switch {
			case r.err == nil:
			case errors.As(r.err, &se) && se.Code == 404:
				g.Add("%s: UCM has no configuration for %s (404 from %s): the device does not exist", r.device, r.device, r.base)
				steps.Hint(ctx, "add %s (%s, owner %s) in Unified CM with a SIP profile that has OAuth enabled", r.device, t2p(r.device), u.Username)
			default:
				g.AddErr(r.err, "%s: want its configuration file from %s, got %v", r.device, r.base, r.err)
			}
		}
		f.Subject(ctx, u.Username, g.Err())
	}
	return f.Err()
}

// t2p names a device's product.
func t2p(device string) string {
	t, _ := deviceType(device)
	return t.Product()
}
