package xmpp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/xmpps2s"
	"example.com/cutover/steps"
)

// The DNS checks: the org's records and the partners' as a conforming
// server resolves and connects to them.

func resolveOrg(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	st.res, st.resErr = xmpps2s.Resolve(ctx, w.View(), x.Domain, steps.Seeded(x.Domain))
	ev := st.res.Evidence()
	if st.resErr != nil {
		ev += "resolution: " + st.resErr.Error() + "\n"
	}
	ctx = steps.Attach(ctx, "federation resolution of "+x.Domain, ev)
	if resolverSilent(st.res, st.resErr) {
		return ctx, target.NotTested(st.resErr)
	}
	return ctx, nil
}

// resolverSilent reports a resolution that failed because the resolver
// did not answer: the site's records are unknown, not wrong.
func resolverSilent(res *xmpps2s.Resolution, err error) bool {
	if err == nil {
		return false
	}
	if notTested(err) {
		return true
	}
	return res != nil && errors.Is(err, xmpps2s.ErrResolve) && (notTested(res.XMPP.Err) || notTested(res.XMPPS.Err))
}

func xmppServerOn5269(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	name := xmpps2s.ServiceXMPP + "." + x.Domain
	if st.res == nil {
		return fmt.Errorf("%s SRV from %s: no answer: %v", name, w.Where, st.resErr)
	}
	l := st.res.XMPP
	var f steps.Failures
	switch {
	case l.Err != nil:
		f.AddErr(l.Err, "%s SRV from %s: want at least 1 target, got %s", name, w.Where, srvWhat(l.Err))
		steps.Hint(ctx, "publish %s. 300 IN SRV 10 50 5269 <federation host>. in the public zone", name)
	case len(l.Records) == 0:
		f.Add("%s SRV from %s: want at least 1 target, got none", name, w.Where)
	}
	for _, r := range l.Records {
		if r.Port != 5269 {
			f.Add("%s SRV %d %d %d %s: want port 5269, got %d", name, r.Priority, r.Weight, r.Port, r.Target, r.Port)
			steps.Hint(ctx, "point %s at port 5269 (the s2s port Expressway and Webex federate on)", name)
		}
		if _, _, err := w.View().LookupHost(ctx, r.Target); err != nil {
			f.AddErr(err, "%s target %s: does not resolve from %s: %v", name, r.Target, w.Where, err)
		}
	}
	return f.Err()
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

// srvTargets are the targets of both SRV lookups, trailing dot removed.
func srvTargets(res *xmpps2s.Resolution) []string {
	var out []string
	for _, l := range []xmpps2s.SRVLookup{res.XMPPS, res.XMPP} {
		for _, r := range l.Records {
			if t := strings.ToLower(strings.TrimSuffix(r.Target, ".")); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func targetsForPhase(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	if st.res == nil || len(st.res.Candidates) == 0 {
		return fmt.Errorf("%s: no federation targets to judge: %v", x.Domain, st.resErr)
	}
	want := x.FederationHosts()
	var f steps.Failures
	for _, t := range srvTargets(st.res) {
		if !slices.ContainsFunc(want, func(h string) bool { return strings.EqualFold(h, t) }) {
			f.Add("%s federation target %s: want one of %s (%s the cutover), got %s", x.Domain, t, strings.Join(want, ", "), x.Cutover, t)
		}
	}
	if st.res.Fallback {
		f.Add("%s: no SRV records, peers fall back to the domain's own address, not to %s", x.Domain, strings.Join(want, ", "))
	}
	if f.Err() != nil {
		steps.Hint(ctx, "re-point _xmpp-server._tcp.%s (and _xmpps-server) at %s: the site is %s the cutover", x.Domain, strings.Join(want, ", "), x.Cutover)
	}
	return f.Err()
}

func notAbsent(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	if errors.Is(st.resErr, xmpps2s.ErrServiceAbsent) {
		steps.Hint(ctx, `replace the "." target of _xmpp-server._tcp.%s with the federation hosts (%s)`, x.Domain, strings.Join(x.FederationHosts(), ", "))
		return fmt.Errorf(`%s: a "." target says the org does not federate: a conforming server (RFC 6120 §3.2.1) neither connects nor falls back to the domain's A/AAAA: %v`, x.Domain, st.resErr)
	}
	return nil
}

func resolvePartners(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	allowed := x.PartnersBy(target.PolicyAllowed)
	if len(allowed) == 0 {
		return ctx, steps.NotApplicable("the target lists no allowed partner (xmpp.partners)")
	}
	var ev strings.Builder
	for _, p := range allowed {
		pr := partnerResolution{partner: p}
		pr.res, pr.err = xmpps2s.Resolve(ctx, w.View(), p.Domain, steps.Seeded(p.Domain))
		if pr.err == nil {
			var conn interface{ Close() error }
			conn, _, pr.attempts, pr.err = xmpps2s.Connect(ctx, w.View().Dial, w.View(), pr.res, w.T.Timeout(), w.Now)
			if conn != nil {
				conn.Close()
			}
		}
		st.partners = append(st.partners, pr)
		fmt.Fprintf(&ev, ";; %s\n%s", p.Domain, pr.res.Evidence())
		for _, a := range pr.attempts {
			ev.WriteString(a.String() + "\n")
		}
		if pr.err != nil {
			fmt.Fprintf(&ev, "error: %v\n", pr.err)
		}
		ev.WriteString("\n")
	}
	return steps.Attach(ctx, "partner resolution", ev.String()), nil
}

func partnersReachable(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, pr := range st.partners {
		var err error
		if resolverSilent(pr.res, pr.err) {
			err = target.NotTested(pr.err)
		} else if pr.err != nil {
			how := "its SRV targets"
			if pr.res != nil && pr.res.Fallback {
				how = "its own address on 5269 (no SRV: RFC 6120 §3.2.2)"
			}
			err = fmt.Errorf("a conforming server (as the org's federation host is) cannot reach %s at %s: %w", pr.partner.Domain, how, pr.err)
		}
		f.Subject(ctx, pr.partner.Domain, err)
	}
	return f.Err()
}

func connectEvery(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	if st.res == nil || len(st.res.Candidates) == 0 {
		return ctx, fmt.Errorf("%s: no federation candidates: %v", w.T.Site.XMPP.Domain, st.resErr)
	}
	var ev strings.Builder
	for _, c := range st.res.Candidates {
		one := *st.res
		one.Candidates = []xmpps2s.Candidate{c}
		conn, _, atts, err := xmpps2s.Connect(ctx, w.View().Dial, w.View(), &one, w.T.Timeout(), w.Now)
		if conn != nil {
			conn.Close()
		}
		st.attempts = append(st.attempts, attempt{cand: c, err: err})
		for _, a := range atts {
			ev.WriteString(a.String() + "\n")
		}
	}
	return steps.Attach(ctx, "connection attempts", ev.String()), nil
}

func everyCandidateAccepts(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	var f steps.Failures
	for _, a := range st.attempts {
		if a.err != nil {
			f.AddErr(a.err, "%s candidate %s: want a connection, got %v (a conforming server does not fall back to %s's own address: RFC 6120 §3.2.1)", x.Domain, a.cand, a.err, x.Domain)
			steps.Hint(ctx, "bring %s up on port %d or remove the record that names it", a.cand.Host, a.cand.Port)
		}
	}
	return f.Err()
}

func lookUpOthers(ctx context.Context) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	s := w.T.Site
	var others []string
	for _, d := range slices.Concat([]string{s.Domains.Services, s.Domains.IMP}, s.VoiceDomains()) {
		d = strings.ToLower(d)
		if d != "" && d != x.Domain && !slices.Contains(others, d) {
			others = append(others, d)
		}
	}
	if len(others) == 0 {
		return ctx, steps.NotApplicable("the site has no domain other than its XMPP domain %s", x.Domain)
	}
	var ev strings.Builder
	for _, d := range others {
		for _, svc := range []string{xmpps2s.ServiceXMPPS, xmpps2s.ServiceXMPP} {
			l := otherLookup{name: svc + "." + d}
			var a *dnsclient.Answer
			l.records, a, l.err = w.View().LookupSRV(ctx, l.name)
			st.others = append(st.others, l)
			fmt.Fprintf(&ev, ";; %s SRV\n", l.name)
			if a != nil {
				ev.WriteString(a.String())
			}
			if l.err != nil {
				fmt.Fprintf(&ev, ";; %v\n", l.err)
			}
		}
	}
	return steps.Attach(ctx, "other domains", ev.String()), nil
}

func noOtherDomain(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	var f steps.Failures
	for _, l := range st.others {
		switch {
		case l.err != nil && (errors.Is(l.err, dnsclient.ErrNXDomain) || errors.Is(l.err, dnsclient.ErrNoData) || errors.Is(l.err, dnsclient.ErrServiceAbsent)):
		case l.err != nil:
			f.AddErr(l.err, "%s SRV: %v", l.name, l.err)
		case len(l.records) > 0:
			f.Add("%s SRV has %d target(s): the org federates one XMPP domain (%s), want none for another domain", l.name, len(l.records), x.Domain)
			steps.Hint(ctx, "remove %s from the public zone: Webex federates one domain per org (%s)", l.name, x.Domain)
		}
	}
	return f.Err()
}
