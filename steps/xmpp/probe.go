package xmpp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"example.com/cutover/harness/target"
	"example.com/cutover/harness/xmpps2s"
	"example.com/cutover/steps"
)

// The delivery checks: probes sent by the partners' federation test
// agents, judged by what came back.

// maxProbes bounds the probes in flight at once.
const maxProbes = 4

func partnersSend(ctx context.Context, policy, kind, which string) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	partners := x.PartnersBy(policy)
	if len(partners) == 0 {
		return ctx, steps.NotApplicable("the target lists no %s partner (xmpp.partners)", policy)
	}
	typ := "chat"
	if kind == "group chat" {
		typ = "groupchat"
		if x.Cutover == target.CutoverBefore {
			// IM&P may federate group chat; only Webex is 1:1 only.
			return steps.Attach(ctx, "group chat", "not sent: before the cutover partners federate with IM&P, which may take group chat"), nil
		}
	}
	return sendProbes(ctx, partners, typ, which == "the first")
}

func strictPartnersSend(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	var strict []target.Partner
	for _, p := range x.PartnersBy(target.PolicyAllowed) {
		if p.AuthenticatedTLS {
			strict = append(strict, p)
		}
	}
	if len(strict) == 0 {
		return ctx, steps.NotApplicable("the target lists no allowed partner with authenticated_tls: true")
	}
	return sendProbes(ctx, strict, "chat", true)
}

func dialbackPartnersSend(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	x, err := xmppSite(w)
	if err != nil {
		return ctx, err
	}
	var lax []target.Partner
	for _, p := range x.PartnersBy(target.PolicyAllowed) {
		if !p.AuthenticatedTLS {
			lax = append(lax, p)
		}
	}
	if len(lax) == 0 {
		return ctx, steps.NotApplicable("every allowed partner demands authenticated TLS (authenticated_tls: true): none would use dialback")
	}
	return sendProbes(ctx, lax, "chat", true)
}

// sendProbes has every partner's agent send one message of typ to every
// test user's JID (or the first's), a few at a time.
func sendProbes(ctx context.Context, partners []target.Partner, typ string, first bool) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	users := w.Users()
	if first && len(users) > 1 {
		users = users[:1]
	}
	list := runProbes(ctx, w, partners, users, typ)
	var ev strings.Builder
	for _, pr := range list {
		st.probes = append(st.probes, *pr)
		fmt.Fprintf(&ev, "== %s → %s (%s) via %s\n", pr.partner.Address(), pr.to, typ, pr.partner.Agent)
		if pr.err != nil {
			fmt.Fprintf(&ev, "agent: %v\n\n", pr.err)
			continue
		}
		ev.WriteString(pr.res.String() + "\n")
	}
	return steps.Attach(ctx, "federation probes", ev.String()), nil
}

// runProbes has every partner's agent send one message of typ to every
// user's JID, a few at a time, and returns the probes in that order.
func runProbes(ctx context.Context, w *steps.World, partners []target.Partner, users []target.User, typ string) []*probe {
	x := &w.T.Site.XMPP
	var list []*probe
	for _, p := range partners {
		for _, u := range users {
			list = append(list, &probe{partner: p, to: x.JIDOf(u), typ: typ})
		}
	}
	http := w.T.HTTPClient(target.Outside)
	sem := make(chan struct{}, maxProbes)
	var wg sync.WaitGroup
	for _, pr := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			agent := xmpps2s.Agent{Base: pr.partner.Agent, HTTP: http}
			pr.res, pr.err = agent.Probe(ctx, xmpps2s.ProbeMessage{From: pr.partner.Address(), To: pr.to, Type: typ,
				Body: "cutover federation probe " + w.ID, Wait: w.T.DeliveryTimeout()})
		}()
	}
	wg.Wait()
	return list
}

// subject names a probe in the report.
func (p probe) subject() string { return p.partner.Domain + "→" + p.to }

// agentErr is a probe whose agent could not be asked: the suite could not
// test.
func (p probe) agentErr() error {
	return target.NotTested(fmt.Errorf("the federation test agent %s of %s did not answer: %w", p.partner.Agent, p.partner.Domain, p.err))
}

func everyMessageAnswered(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, p := range st.probes {
		if p.typ == "chat" {
			f.Subject(ctx, p.subject(), p.answered())
		}
	}
	return f.Err()
}

// answered: a 1:1 message the user must answer over the site's own stream
// (XFED-07, and the journey's federation stage).
func (p probe) answered() error {
	switch {
	case p.err != nil:
		return p.agentErr()
	case p.res.Error != "":
		return fmt.Errorf("want the user's answer, got %s (%s)", p.res.Kind, p.res.Error)
	case p.res.Reply == "":
		return errors.New("want the user's answer, got an empty reply")
	}
	return nil
}

func everyGroupchatRefused(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, p := range st.probes {
		if p.typ == "groupchat" {
			f.Subject(ctx, p.subject()+" (groupchat)", p.refused())
		}
	}
	return f.Err()
}

// refused: a group chat message Webex must refuse (XFED-07, and the
// journey's federation stage).
func (p probe) refused() error {
	switch {
	case p.err != nil:
		return p.agentErr()
	case p.res.Error == "" && p.res.Reply != "":
		return fmt.Errorf("group chat delivered and answered (%q): Webex federates 1:1 only, want an error", p.res.Reply)
	case p.res.Kind == "stanza-error" || p.res.Kind == "policy":
		return nil
	}
	return fmt.Errorf("want the message refused with a stanza error, got %s (%s)", p.res.Kind, p.res.Error)
}

func noBlockedDelivered(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, p := range st.probes {
		var err error
		switch {
		case p.err != nil:
			err = p.agentErr()
		case p.res.Error == "":
			err = fmt.Errorf("delivered and answered (%q): want it refused by the org's block list", p.res.Reply)
		case p.res.Kind == "policy" || p.res.StreamError == "policy-violation" || p.res.StreamError == "not-authorized" || p.res.Kind == "stanza-error" || p.res.Kind == "auth":
		case p.res.Kind == "no-reply":
			// Accepted and never answered: not delivered as far as the
			// partner can tell, which is what a silent drop looks like.
		default:
			err = target.NotTested(fmt.Errorf("the probe ended before the site decided: %s (%s)", p.res.Kind, p.res.Error))
		}
		f.Subject(ctx, p.subject(), err)
	}
	return f.Err()
}

func probesUsedBestCandidate(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	x := &w.T.Site.XMPP
	if st.res == nil || len(st.res.Candidates) == 0 {
		return fmt.Errorf("%s: no federation candidates: %v", x.Domain, st.resErr)
	}
	best := st.res.Candidates[0].Priority
	var top []string
	for _, c := range st.res.Candidates {
		if c.Priority == best {
			top = append(top, c.String())
		}
	}
	var f steps.Failures
	for _, p := range st.probes {
		var err error
		switch {
		case p.err != nil:
			err = p.agentErr()
		case p.res.Connected == "":
			err = fmt.Errorf("connected to no candidate: %s", p.res.Error)
		case !slices.Contains(top, p.res.Connected):
			err = fmt.Errorf("want a candidate of priority %d (%s), got %s: the best-priority targets do not answer", best, strings.Join(top, ", "), p.res.Connected)
		case p.res.Mode != p.res.TLS:
			err = fmt.Errorf("candidate %s: want %s, got %s (%s)", p.res.Connected, p.res.Mode, p.res.TLS, p.res.Error)
		}
		f.Subject(ctx, p.subject(), err)
	}
	if f.Err() != nil {
		steps.Hint(ctx, "make the best-priority records of _xmpps-server/_xmpp-server._tcp.%s name ports that serve them (5270 direct TLS, 5269 STARTTLS), or lower their priority", x.Domain)
	}
	return f.Err()
}

func answeredWithExternal(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	for _, p := range st.probes {
		var err error
		switch {
		case p.err != nil:
			err = p.agentErr()
		case p.res.CertError != "":
			err = fmt.Errorf("a partner demanding authenticated TLS refuses the site: its certificate does not verify for the XMPP domain: %s", p.res.CertError)
		case p.res.Error != "":
			err = fmt.Errorf("want an answer over an EXTERNAL-authenticated stream, got %s (%s)", p.res.Kind, p.res.Error)
		case p.res.Auth != "external":
			err = fmt.Errorf("want SASL EXTERNAL, got %q", p.res.Auth)
		}
		f.Subject(ctx, p.subject(), err)
	}
	return f.Err()
}

// answeredWithDialback judges the probes of partners that did not
// authenticate with SASL EXTERNAL (their certificates do not verify for
// their domain at the site): XEP-0220 dialback must carry them. A probe
// that authenticated with EXTERNAL is another check's; when every one did,
// the site had no dialback to prove.
func answeredWithDialback(ctx context.Context) error {
	st := state(ctx)
	var f steps.Failures
	judged := 0
	for _, p := range st.probes {
		if p.err == nil && p.res.Auth == "external" {
			continue
		}
		judged++
		var err error
		switch {
		case p.err != nil:
			err = p.agentErr()
		case p.res.Auth == "" && p.res.Kind != "auth":
			err = fmt.Errorf("the probe ended before authentication: %s (%s)", p.res.Kind, p.res.Error)
		case p.res.Auth != "dialback":
			err = fmt.Errorf("the partner could not use SASL EXTERNAL and the site did not accept dialback: %s (%s)", p.res.Kind, p.res.Error)
			steps.Hint(ctx, "enable server dialback (XEP-0220) on the federation host for partners whose certificates do not name their XMPP domain")
		case p.res.Error != "":
			err = fmt.Errorf("dialback succeeded, but want the user's answer, got %s (%s)", p.res.Kind, p.res.Error)
		case p.res.Reply == "":
			err = errors.New("dialback succeeded, but want the user's answer, got an empty reply")
		}
		f.Subject(ctx, p.subject(), err)
	}
	if judged == 0 {
		return steps.NotApplicable("every partner authenticated with SASL EXTERNAL: no partner of the target needs dialback")
	}
	return f.Err()
}
