package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/softphone"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

func mraEveryNode(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	cert := w.T.Site.SIP.MRACert
	if len(w.T.Site.Expressway.Core) == 0 && len(w.T.Site.Expressway.Edge) == 0 {
		return ctx, steps.NotApplicable("the site has no Expressway: no MRA")
	}
	if cert == nil {
		return ctx, target.NotTested(errors.New("no Expressway-C client certificate (sip.mra_client in the target)"))
	}
	st.regs = mraRegister(ctx, w, cert)
	return steps.Attach(ctx, "MRA port with Expressway-C's certificate", evidence(st.regs)), nil
}

// mraRegister sends a tokenless REGISTER over mutual TLS with cert to
// every node's MRA OAuth port.
func mraRegister(ctx context.Context, w *steps.World, cert *tls.Certificate) []regResult {
	var out []regResult
	for _, node := range w.T.Site.AllUCMNodes() {
		r := regResult{subject: node, node: w.T.Site.SIP.MRAAddr(node)}
		u, dev, ok := nodeUser(w, node)
		if !ok {
			r.err = steps.NotApplicable("no test user with a softphone device is homed on %s's cluster", node)
			out = append(out, r)
			continue
		}
		r.user, r.device = u, dev
		// A client certificate is a credential: only to a host the
		// target names, over verified TLS.
		if err := w.T.CredentialTo("sips", node); err != nil {
			r.err = err
			out = append(out, r)
			continue
		}
		c, err := phone(ctx, w, node, cert)
		if err != nil {
			r.err = err
		} else {
			r.res, r.err = tokenless(ctx, c, r.node, u, dev)
		}
		out = append(out, r)
	}
	return out
}

func mraAccepted(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.regs {
		err := r.err
		if !errors.Is(err, steps.ErrNotApplicable) && !errors.Is(err, target.ErrNotTested) {
			if err = want407(r, sipreg.UCMRealm); err != nil && r.res != nil && r.res.Status == 0 && r.res.Challenge == nil {
				steps.Hint(ctx, "upload the CA that signed Expressway-C's certificate to tomcat-trust on %s (and UCM's signer to Expressway-C's trusted CA list), then restart Cisco CallManager", r.subject)
			}
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

func mraRogue(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	if len(w.T.Site.Expressway.Core) == 0 && len(w.T.Site.Expressway.Edge) == 0 {
		return ctx, steps.NotApplicable("the site has no Expressway: no MRA")
	}
	// A throwaway CA nobody trusts, issuing a certificate with the first
	// Expressway-C's name: only the signer differs.
	ca, err := pki.NewCA("cutover unknown signer")
	if err != nil {
		return ctx, err
	}
	name := "expc.invalid"
	if core := w.T.Site.Expressway.Core; len(core) > 0 {
		name = core[0]
	}
	cert, err := ca.Issue(name, pki.WithDNSNames(name))
	if err != nil {
		return ctx, err
	}
	st.rogue = mraRegister(ctx, w, &cert)
	return steps.Attach(ctx, "MRA port with a certificate of an unknown CA", evidence(st.rogue)), nil
}

func mraRefused(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.rogue {
		var err error
		switch {
		case errors.Is(r.err, steps.ErrNotApplicable) || errors.Is(r.err, target.ErrNotTested):
			err = r.err
		case r.res != nil && (r.res.Challenge != nil || r.res.Status != 0 || r.res.Registered):
			err = fmt.Errorf("%s: want the handshake refused (unknown CA), got a SIP answer (%s): the MRA port trusts a signer it should not", r.node, reason(r))
			steps.Hint(ctx, "the MRA OAuth port of %s must demand a client certificate signed by Expressway-C's CA: remove other CAs from tomcat-trust", r.subject)
		case r.err == nil:
			err = fmt.Errorf("%s: want the handshake refused, got %s", r.node, reason(r))
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}

func tokenlessRFC8898(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	rr := w.T.Site.SIP.RFC8898
	if rr == nil {
		return ctx, steps.NotApplicable("the target names no RFC 8898 registrar (sip.rfc8898)")
	}
	st.regs = nil
	c, err := phone(ctx, w, rr.Host(), nil, rr.TrustedAuthzServers...)
	if err != nil {
		return ctx, err
	}
	for _, u := range w.Users() {
		devs := softphones(u)
		if len(devs) == 0 {
			continue
		}
		r := regResult{subject: u.Username, user: u, device: devs[0], node: rr.Registrar}
		r.res, r.err = tokenless(ctx, c, rr.Registrar, u, devs[0])
		st.regs = append(st.regs, r)
		break // one AOR shows the registrar's challenge
	}
	if len(st.regs) == 0 {
		return ctx, steps.NotApplicable("no test user has a softphone device")
	}
	return steps.Attach(ctx, "REGISTER without credentials (RFC 8898)", evidence(st.regs)), nil
}

func rfc8898Challenge(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	trusted := w.T.Site.SIP.RFC8898.TrustedAuthzServers
	var f steps.Failures
	for _, r := range st.regs {
		var g steps.Failures
		ch := r.res.Challenge
		switch {
		case errors.Is(r.err, softphone.ErrUntrusted):
			g.Add("%s: want authz_server one of %v (RFC 8898 §2.1.1), got %q: the client does not follow it and sends no token", r.node, trusted, ch.AuthzServer)
		case r.err != nil:
			g.AddErr(r.err, "%s: want 401 WWW-Authenticate: Bearer, got %v", r.node, r.err)
		case ch == nil:
			g.Add("%s: want 401 WWW-Authenticate: Bearer, got %s", r.node, r.res.Reason)
		default:
			if ch.Status != 401 {
				g.Add("%s: want 401 WWW-Authenticate (RFC 8898 §2.2), got %d %s", r.node, ch.Status, ch.Header)
			}
			if ch.Realm == "" {
				g.Add("%s: want a realm in the Bearer challenge (RFC 8898 §4), got none", r.node)
			}
			if ch.Scope == "" {
				g.Add("%s: want a scope in the Bearer challenge (RFC 8898 §4), got none", r.node)
			}
			if ch.AuthzServer == "" {
				g.Add("%s: want authz_server in the Bearer challenge (RFC 8898 §4): the client cannot know where to get a token", r.node)
			} else if !slices.Contains(trusted, ch.AuthzServer) {
				g.Add("%s: authz_server %q is not on the trusted list %v", r.node, ch.AuthzServer, trusted)
			}
		}
		f.Subject(ctx, r.subject, g.Err())
	}
	return f.Err()
}

// noCertResult is a tokenless REGISTER over TLS without a client
// certificate to a node's MRA OAuth port; asked says the node sent a
// certificate request in the handshake.
type noCertResult struct {
	regResult
	asked bool
}

func mraNoCert(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	if len(w.T.Site.Expressway.Core) == 0 && len(w.T.Site.Expressway.Edge) == 0 {
		return ctx, steps.NotApplicable("the site has no Expressway: no MRA")
	}
	st.nocert = nil
	for _, node := range w.T.Site.AllUCMNodes() {
		r := noCertResult{regResult: regResult{subject: node, node: w.T.Site.SIP.MRAAddr(node)}}
		u, dev, ok := nodeUser(w, node)
		if !ok {
			r.err = steps.NotApplicable("no test user with a softphone device is homed on %s's cluster", node)
			st.nocert = append(st.nocert, r)
			continue
		}
		r.user, r.device = u, dev
		var asked atomic.Bool
		// Asked for a certificate, the client has none to give: an empty
		// Certificate message, as a TLS client without one sends.
		c, err := phoneWith(ctx, w, node, func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			asked.Store(true)
			return &tls.Certificate{}, nil
		})
		if err != nil {
			r.err = err
		} else {
			r.res, r.err = tokenless(ctx, c, r.node, u, dev)
		}
		r.asked = asked.Load()
		st.nocert = append(st.nocert, r)
	}
	rs := make([]regResult, len(st.nocert))
	for i, r := range st.nocert {
		rs[i] = r.regResult
	}
	return steps.Attach(ctx, "MRA port with no client certificate", evidence(rs)), nil
}

func mraNoCertRefused(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, r := range st.nocert {
		var err error
		switch {
		case errors.Is(r.err, steps.ErrNotApplicable) || errors.Is(r.err, target.ErrNotTested):
			err = r.err
		case r.res != nil && (r.res.Challenge != nil || r.res.Status != 0 || r.res.Registered):
			err = fmt.Errorf("%s: want the handshake refused (no client certificate), got a SIP answer (%s): the MRA port is not mutual TLS", r.node, reason(r.regResult))
			steps.Hint(ctx, "the MRA OAuth port of %s must require Expressway-C's client certificate (mutual TLS): check the SIP MRA OAuth port setting and tomcat-trust, then restart Cisco CallManager", r.subject)
		case !r.asked:
			err = fmt.Errorf("%s: want the node to ask for a client certificate, the handshake ended before it did: %v", r.node, reason(r.regResult))
		case r.err == nil:
			err = fmt.Errorf("%s: want the handshake refused, got %s", r.node, reason(r.regResult))
		}
		f.Subject(ctx, r.subject, err)
	}
	return f.Err()
}
