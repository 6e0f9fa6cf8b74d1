package hybrid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/hybrid/webex"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// C2SPort is IM&P's XMPP client port (STARTTLS).
const C2SPort = "5222"

// jabber is a test user's Jabber client, signed in to the first IM&P node.
type jabber struct {
	u    target.User
	host string
	c    *hybrid.Client
}

func (j *jabber) send(ctx context.Context, w *steps.World, st hybrid.Stanza) error {
	if err := w.T.Pace(ctx, j.host); err != nil {
		return err
	}
	return j.c.Send(st)
}

// signIn signs u in over c2s with their UCM password, within the target's
// credential policy and failure budget.
func signIn(ctx context.Context, w *steps.World, u target.User) (*jabber, error) {
	s := w.T.Site
	if len(s.IMP.Nodes) == 0 {
		return nil, steps.NotApplicable("the target names no IM&P node (imp.nodes)")
	}
	host := s.IMP.Nodes[0]
	if err := w.T.CredentialTo("xmpps", host); err != nil {
		return nil, err
	}
	use, err := w.T.UseCredential(ctx, host, u.Username)
	if err != nil {
		return nil, err
	}
	defer use.Done()
	conn, err := w.T.DialContext(w.Where)(ctx, "tcp", net.JoinHostPort(host, C2SPort))
	if err != nil {
		return nil, fmt.Errorf("the Jabber sign-in of %s: %w", u.Username, err)
	}
	_ = conn.SetDeadline(time.Now().Add(w.T.Timeout()))
	uid, _, _ := strings.Cut(u.Hybrid.JID, "@")
	stream, full, err := hybrid.DialC2S(conn, w.T.TLSConfig(s.Domains.IMP), s.Domains.IMP, uid, u.Password, "cutover")
	if errors.Is(err, hybrid.ErrAuth) {
		conn.Close()
		use.Refused("XMPP SASL not-authorized")
		return nil, target.NotTested(fmt.Errorf("IM&P refused %s's password over XMPP (SASL not-authorized): %w", u.Username, target.ErrCredentialRefused))
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("the Jabber sign-in of %s at %s: %w", u.Username, host, err)
	}
	use.Accepted()
	_ = conn.SetDeadline(time.Time{})
	return &jabber{u: u, host: host, c: hybrid.NewClient(stream, hybrid.Bare(full))}, nil
}

func (j *jabber) close() { _ = j.c.Close() }

// nonce is a text no earlier run sent.
func nonce(w *steps.World, tag string) string {
	return fmt.Sprintf("cutover %s %s %d.%d", w.ID, tag, time.Now().UnixNano(), nonces.Add(1))
}

// nonces tells apart the texts of routes followed at once.
var nonces atomic.Uint64

// poll calls f until it reports done, an error, or the target's delivery
// timeout passes; between calls it waits for the rate limit and a short
// pause. A safety limit, or a rate limit that left no time to look even
// once, is a reason the suite could not test, not "nothing came".
func poll(ctx context.Context, w *steps.World, host string, f func() (bool, error)) (bool, error) {
	pctx, cancel := context.WithTimeout(ctx, w.T.DeliveryTimeout())
	defer cancel()
	for looked := false; ; looked = true {
		if err := w.T.Pace(pctx, host); err != nil {
			if looked && ctx.Err() == nil && !errors.Is(err, target.ErrNotTested) {
				// The timeout passes (or would, in the rate limit's wait)
				// before the next look.
				return false, nil
			}
			return false, target.NotTested(fmt.Errorf("waiting to look at %s: %w", host, err))
		}
		ok, err := f()
		if ok || err != nil {
			return ok, err
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-pctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return false, target.NotTested(fmt.Errorf("waiting for a message at %s: %w", host, ctx.Err()))
			}
			return false, nil
		case <-t.C:
		}
	}
}

// inWebex waits until owner's direct space with other holds a message
// match accepts.
func inWebex(ctx context.Context, w *steps.World, owner target.User, other string, match func(webex.Message) bool, ev io.Writer) (bool, error) {
	return inWebexUnless(ctx, w, owner, other, match, nil, ev)
}

// bounced is a message the site told its sender it did not deliver.
type bounced struct{ why string }

func (b bounced) Error() string { return "the sender was told it was not delivered: " + b.why }

// inWebexUnless is inWebex that stops as soon as stop (when not nil)
// says why the message will not come: the site told the sender so.
func inWebexUnless(ctx context.Context, w *steps.World, owner target.User, other string, match func(webex.Message) bool, stop func() string, ev io.Writer) (bool, error) {
	c := webex.NewClient(w.T.HTTPClient(w.Where), "https://"+w.T.Site.Hybrid.WebexAPI)
	var last webex.Evidence
	ok, err := poll(ctx, w, w.T.Site.Hybrid.WebexAPI, func() (bool, error) {
		// What stop says is read before the look: a message that came
		// all the same (reported as an error, delivered anyway) is found.
		why := ""
		if stop != nil {
			why = stop()
		}
		list, e, err := c.Direct(ctx, owner.Hybrid.WebexToken, other)
		last = e
		if err != nil {
			return false, err
		}
		for _, m := range list {
			if match(m) {
				return true, nil
			}
		}
		if why != "" {
			return false, bounced{why}
		}
		return false, nil
	})
	fmt.Fprintf(ev, "%s\n", strings.TrimSpace(last.String()))
	return ok, err
}

// inWebexOnce looks once when wait is nil, else polls like inWebex.
func inWebexOnce(ctx context.Context, w, wait *steps.World, owner target.User, other string, match func(webex.Message) bool, ev io.Writer) (bool, error) {
	if wait != nil {
		return inWebex(ctx, w, owner, other, match, ev)
	}
	if err := w.T.Pace(ctx, w.T.Site.Hybrid.WebexAPI); err != nil {
		return false, err
	}
	list, e, err := webex.NewClient(w.T.HTTPClient(w.Where), "https://"+w.T.Site.Hybrid.WebexAPI).Direct(ctx, owner.Hybrid.WebexToken, other)
	fmt.Fprintf(ev, "%s\n", strings.TrimSpace(e.String()))
	if err != nil {
		return false, err
	}
	for _, m := range list {
		if match(m) {
			return true, nil
		}
	}
	return false, nil
}

// route: a's Jabber sends text to b's JID; it must reach b's Webex
// identity from a's; b replies in Webex; the reply must reach a's JID.
func route(ctx context.Context, w *steps.World, a, b target.User, ev io.Writer) error {
	ja, err := signIn(ctx, w, a)
	if err != nil {
		return err
	}
	defer ja.close()
	text := nonce(w, "hello")
	fmt.Fprintf(ev, "== %s (%s) → %s (%s)\nJabber %s sends to %s: %q\n", a.Hybrid.JID, a.Hybrid.WebexEmail, b.Hybrid.JID, b.Hybrid.WebexEmail, ja.c.JID, b.Hybrid.JID, text)
	if err := ja.send(ctx, w, hybrid.StanzaOf(hybrid.Message{ID: "m1", To: b.Hybrid.JID, Type: hybrid.TypeChat, Body: text})); err != nil {
		return fmt.Errorf("sending as %s: %w", a.Hybrid.JID, err)
	}
	ok, err := inWebexUnless(ctx, w, b, a.Hybrid.WebexEmail, func(m webex.Message) bool { return m.Text == text }, ja.bounce("m1"), ev)
	var bounce bounced
	if errors.As(err, &bounce) {
		return fmt.Errorf("a Jabber message from %s to JID %s: want it in %s's Webex space with %s; %v",
			a.Hybrid.JID, b.Hybrid.JID, b.Hybrid.WebexEmail, a.Hybrid.WebexEmail, bounce)
	}
	if err != nil {
		return fmt.Errorf("reading %s's Webex messages: %w", b.Hybrid.WebexEmail, err)
	}
	if !ok {
		return fmt.Errorf("a Jabber message from %s to JID %s: want it in %s's Webex space with %s within %s, got nothing (to the sender: %s)",
			a.Hybrid.JID, b.Hybrid.JID, b.Hybrid.WebexEmail, a.Hybrid.WebexEmail, w.T.DeliveryTimeout(), reports(ja))
	}
	reply := nonce(w, "reply")
	if err := w.T.Pace(ctx, w.T.Site.Hybrid.WebexAPI); err != nil {
		return err
	}
	_, e, err := webex.NewClient(w.T.HTTPClient(w.Where), "https://"+w.T.Site.Hybrid.WebexAPI).Send(ctx, b.Hybrid.WebexToken, webex.Send{ToPersonEmail: a.Hybrid.WebexEmail, Text: reply})
	fmt.Fprintf(ev, "%s\n", strings.TrimSpace(e.String()))
	if err != nil {
		return fmt.Errorf("replying in Webex as %s: %w", b.Hybrid.WebexEmail, err)
	}
	wctx, cancel := context.WithTimeout(ctx, w.T.DeliveryTimeout())
	defer cancel()
	got, err := ja.c.Wait(wctx, func(s hybrid.Stanza) bool {
		return s.XMLName.Local == "message" && s.Body == reply && hybrid.Bare(s.From) == strings.ToLower(b.Hybrid.JID)
	})
	if err != nil {
		return fmt.Errorf("a Webex reply from %s to %s: want it at JID %s from %s within %s, got nothing (%d stanzas arrived)",
			b.Hybrid.WebexEmail, a.Hybrid.WebexEmail, a.Hybrid.JID, b.Hybrid.JID, w.T.DeliveryTimeout(), len(ja.c.Received()))
	}
	fmt.Fprintf(ev, "Jabber %s received from %s: %q\n\n", ja.c.JID, got.From, got.Body)
	return nil
}

// bounce says why the site sent back the message of id as an error
// ("" while it has not): an error for a message (RFC 6120 §8.3; the
// connector reports so what it does not bridge) means it will not come,
// and Jabber shows the sender so at once, so a wait for it can end.
func (j *jabber) bounce(id string) func() string {
	return func() string {
		for _, s := range j.c.Received() {
			if s.XMLName.Local == "message" && s.Type == hybrid.TypeError && s.ID == id {
				if s.Error != nil && s.Error.Text != "" {
					return s.Error.Text
				}
				return "an error stanza"
			}
		}
		return ""
	}
}

// reports are the error and headline stanzas the sender got.
func reports(j *jabber) string {
	var out []string
	for _, s := range j.c.Received() {
		if s.Type == hybrid.TypeError || s.Type == hybrid.TypeNotice {
			t := s.Body
			if s.Error != nil {
				t = s.Error.Text
			}
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return "no report"
	}
	return strings.Join(out, "; ")
}

// routeToFirst: every other migrating user's Jabber message reaches the
// first migrating user's Webex identity, and the reply their JID.
func routeToFirst(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	if len(users) < 2 {
		return ctx, steps.NotApplicable("fewer than two migrating test users: no one to message")
	}
	var f steps.Failures
	var ev strings.Builder
	for _, u := range users[1:] {
		f.Subject(ctx, u.Username, route(ctx, w, u, users[0], &ev))
	}
	ctx = steps.Attach(ctx, "Jabber ↔ Webex", ev.String())
	return ctx, f.Err()
}

// routeJIDNotEmail: every migrating user whose JID is not their email is
// reached in Webex, and their reply reaches the sender's JID.
func routeJIDNotEmail(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	var f steps.Failures
	var ev strings.Builder
	n := 0
	for _, u := range users {
		if ident.SameEmail(u.Hybrid.JID, u.Hybrid.WebexEmail) {
			continue
		}
		var partner *target.User
		for i := range users {
			if users[i].Username != u.Username {
				partner = &users[i]
				break
			}
		}
		if partner == nil {
			continue
		}
		n++
		f.Subject(ctx, u.Username, route(ctx, w, *partner, u, &ev))
	}
	if n == 0 {
		return ctx, steps.NotApplicable("no migrating test user has a JID that differs from their Webex email (and a partner to message)")
	}
	ctx = steps.Attach(ctx, "Jabber ↔ Webex, JID ≠ email", ev.String())
	return ctx, f.Err()
}
