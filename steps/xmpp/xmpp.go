// Package xmpp holds the steps of XMPP federation (features/xmpp): thin
// steps that call the harness, with the site data from the target.
//
// The DNS checks resolve the org's XMPP domain from outside with the RFC
// 6120 §3.2 resolver of harness/xmpps2s (XEP-0368 _xmpps-server merged) and
// say what a conforming server would do with the site's records. The
// delivery checks play each partner domain of the target through its
// federation test agent (xmpps2s.Agent): the agent serves the partner
// domain, sends the probe and receives the site's answer on the stream the
// site opens back to it, as a real partner would.
package xmpp

import (
	"context"
	"errors"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/xmpps2s"
	"example.com/cutover/steps"
)

type stateKey struct{}

func state(ctx context.Context) *xmppState {
	s, _ := ctx.Value(stateKey{}).(*xmppState)
	return s
}

type xmppState struct {
	res      *xmpps2s.Resolution
	resErr   error
	attempts []attempt
	partners []partnerResolution
	probes   []probe
	others   []otherLookup
	starttls []firstFeatures
}

type attempt struct {
	cand xmpps2s.Candidate
	err  error
}

type partnerResolution struct {
	partner  target.Partner
	res      *xmpps2s.Resolution
	err      error
	attempts []xmpps2s.Attempt
}

type probe struct {
	partner target.Partner
	to      string
	typ     string
	res     *xmpps2s.AgentResult
	err     error // reaching the agent
}

type otherLookup struct {
	name    string
	records []dnsclient.SRV
	err     error
}

// Register adds the xmpp steps.
func Register(r *steps.Registry) {
	r.Before(func(ctx context.Context) context.Context {
		return context.WithValue(ctx, stateKey{}, &xmppState{})
	})
	r.Step(`^it resolves the org's XMPP domain as a federating server would$`, resolveOrg)
	r.Step(`^"_xmpp-server._tcp" answers with targets on port 5269 that resolve$`, xmppServerOn5269)
	r.Step(`^every federation target is a host the target names for the site's phase of the cutover$`, targetsForPhase)
	r.Step(`^the records do not declare XMPP federation absent with a "\." target$`, notAbsent)
	r.Step(`^it resolves every allowed partner domain as a federating server would$`, resolvePartners)
	r.Step(`^every allowed partner domain has a candidate that accepts a connection$`, partnersReachable)
	r.Step(`^it connects to every federation candidate$`, connectEvery)
	r.Step(`^every federation candidate accepts a connection$`, everyCandidateAccepts)
	r.Step(`^every (allowed|blocked) partner sends a (1:1|group chat) message to (every|the first) test user$`, partnersSend)
	r.Step(`^every partner that demands authenticated TLS sends a 1:1 message to the first test user$`, strictPartnersSend)
	r.Step(`^every probe reached a federation target of the best priority, in that target's mode$`, probesUsedBestCandidate)
	r.Step(`^every message is answered by the user over the site's own stream$`, everyMessageAnswered)
	r.Step(`^every group chat message is refused$`, everyGroupchatRefused)
	r.Step(`^no message from a blocked partner is delivered$`, noBlockedDelivered)
	r.Step(`^every such message is answered over TLS authenticated with SASL EXTERNAL$`, answeredWithExternal)
	r.Step(`^every partner that accepts dialback sends a 1:1 message to the first test user$`, dialbackPartnersSend)
	r.Step(`^every partner that could not use SASL EXTERNAL is answered over a stream authenticated by dialback$`, answeredWithDialback)
	r.Step(`^it opens an XMPP stream to every "_xmpp-server" target$`, openEveryStartTLS)
	r.Step(`^every one offers STARTTLS as required and no SASL before TLS$`, startTLSRequiredFirst)
	r.Step(`^it looks up the XMPP federation records of every other domain of the site$`, lookUpOthers)
	r.Step(`^no other domain of the site publishes XMPP federation$`, noOtherDomain)
}

// xmppSite is the target's xmpp section, or not applicable.
func xmppSite(w *steps.World) (*target.XMPP, error) {
	x := &w.T.Site.XMPP
	if !x.Configured() {
		return nil, steps.NotApplicable("the target has no xmpp section (xmpp.cutover, xmpp.domain): nothing to say where federation must point")
	}
	return x, nil
}

// notTested marks a resolver that did not answer as a reason the suite
// could not test; everything else stays the site's.
func notTested(err error) bool {
	return errors.Is(err, target.ErrNotTested) || target.IsTimeout(err)
}
