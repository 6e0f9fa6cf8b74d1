package hybrid

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/webex"
	"example.com/cutover/steps"
)

// notBridged: group chat, rich text and a Jabber file are reported to the
// sender as not bridged; the group chat and the file never reach Webex.
func notBridged(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	if len(users) < 2 {
		return ctx, steps.NotApplicable("fewer than two migrating test users: no one to message")
	}
	a, b := users[0], users[1]
	ja, err := signIn(ctx, w, a)
	if err != nil {
		return ctx, err
	}
	defer ja.close()
	var f steps.Failures
	var ev strings.Builder
	cases := []struct {
		what, id string
		msg      hybrid.Message
		inWebex  bool // the plain part is bridged
	}{
		{"group chat", "gc1", hybrid.Message{Type: hybrid.TypeGroupChat, Body: nonce(w, "group")}, false},
		{"rich text", "rt1", hybrid.Message{Type: hybrid.TypeChat, Body: nonce(w, "rich"), HTML: `<body xmlns="http://www.w3.org/1999/xhtml"><p><strong>bold</strong></p></body>`}, true},
		{"a file from Jabber", "f1", hybrid.Message{Type: hybrid.TypeChat, Files: []hybrid.File{{Name: "cutover.txt", URL: "https://imp1.example.com/upload/cutover.txt", Size: 10}}}, false},
	}
	// The three go out together and their reports are awaited within one
	// timeout: a site that reports nothing costs one wait, not three.
	for i := range cases {
		c := &cases[i]
		c.msg.ID, c.msg.To = c.id, b.Hybrid.JID
		if err := ja.send(ctx, w, hybrid.StanzaOf(c.msg)); err != nil {
			return ctx, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, w.T.DeliveryTimeout())
	defer cancel()
	for _, c := range cases {
		fmt.Fprintf(&ev, "== %s from %s to %s\n", c.what, a.Hybrid.JID, b.Hybrid.JID)
		got, err := ja.c.Wait(wctx, func(s hybrid.Stanza) bool {
			return s.ID == c.id && (s.Type == hybrid.TypeError || s.Type == hybrid.TypeNotice)
		})
		if err != nil {
			f.Add("%s from %s to JID %s: want the sender told it is not bridged, got no error nor notice within %s", c.what, a.Hybrid.JID, b.Hybrid.JID, w.T.DeliveryTimeout())
		} else {
			reason := ""
			if got.Error != nil {
				reason = got.Error.Text
			}
			fmt.Fprintf(&ev, "sender told (%s): %s\n", got.Type, reason)
		}
		if c.msg.Body == "" {
			continue
		}
		match := func(m webex.Message) bool {
			return strings.Contains(m.Text, c.msg.Body) || strings.Contains(m.Markdown, c.msg.Body)
		}
		// The report came after the connector handled the message: what
		// must not be in Webex is looked for once, what must be is polled.
		// So is all of it once the timeout since it was sent has passed,
		// or once it was sent back whole as an error (its plain part will
		// not come: one look finds it if it came all the same).
		wait := w
		sentBack := ja.bounce(c.id)()
		if !c.inWebex || wctx.Err() != nil || sentBack != "" {
			wait = nil
		}
		ok, err := inWebexOnce(ctx, w, wait, b, a.Hybrid.WebexEmail, match, &ev)
		switch {
		case err != nil:
			f.AddErr(err, "reading %s's Webex messages: %v", b.Hybrid.WebexEmail, err)
		case ok && !c.inWebex:
			f.Add("%s from %s: want it not bridged, got it in %s's Webex space", c.what, a.Hybrid.JID, b.Hybrid.WebexEmail)
		case !ok && c.inWebex && sentBack != "":
			f.Add("%s from %s: want its plain text in %s's Webex space; the sender was told it was not delivered: %s", c.what, a.Hybrid.JID, b.Hybrid.WebexEmail, sentBack)
		case !ok && c.inWebex:
			f.Add("%s from %s: want its plain text in %s's Webex space, got nothing", c.what, a.Hybrid.JID, b.Hybrid.WebexEmail)
		}
	}
	ctx = steps.Attach(ctx, "not bridged", ev.String())
	return ctx, f.Err()
}

// presenceOneWay: a Jabber user's presence never reaches Webex; a Webex
// user's activity shows in Jabber as "Available @ Webex" within the
// connector's 10-minute presence poll.
func presenceOneWay(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	if len(users) < 2 {
		return ctx, steps.NotApplicable("fewer than two migrating test users: no one to watch")
	}
	a, b := users[0], users[1]
	ja, err := signIn(ctx, w, a)
	if err != nil {
		return ctx, err
	}
	defer ja.close()
	wc := webex.NewClient(w.T.HTTPClient(w.Where), "https://"+w.T.Site.Hybrid.WebexAPI)
	var f steps.Failures
	var ev strings.Builder
	before, _, e, err := wc.Person(ctx, a.Hybrid.WebexToken, a.Hybrid.WebexEmail)
	fmt.Fprintf(&ev, "%s\n", strings.TrimSpace(e.String()))
	if err != nil {
		return ctx, fmt.Errorf("reading %s's Webex status: %w", a.Hybrid.WebexEmail, err)
	}
	if err := ja.send(ctx, w, hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, Show: "dnd", Status: "cutover"}); err != nil {
		return ctx, err
	}
	// A probe after it is answered only once IM&P and the connector have
	// taken the presence: then Webex is read.
	probe := func(id string) (hybrid.Stanza, error) {
		if err := ja.send(ctx, w, hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, Type: "probe", To: b.Hybrid.JID, ID: id}); err != nil {
			return hybrid.Stanza{}, err
		}
		wctx, cancel := context.WithTimeout(ctx, w.T.DeliveryTimeout())
		defer cancel()
		return ja.c.Wait(wctx, func(s hybrid.Stanza) bool { return s.XMLName.Local == "presence" && s.ID == id })
	}
	if _, err := probe("p1"); err != nil {
		return ctx, fmt.Errorf("presence probe of %s as %s: no answer: %w", b.Hybrid.JID, a.Hybrid.JID, err)
	}
	after, _, e, err := wc.Person(ctx, a.Hybrid.WebexToken, a.Hybrid.WebexEmail)
	fmt.Fprintf(&ev, "Jabber %s set presence dnd\n%s\n", a.Hybrid.JID, strings.TrimSpace(e.String()))
	if err != nil {
		return ctx, fmt.Errorf("reading %s's Webex status: %w", a.Hybrid.WebexEmail, err)
	}
	if after.Status != before.Status {
		f.Add("Jabber presence of %s: want it never sent to Webex, got Webex status %q (was %q)", a.Hybrid.JID, after.Status, before.Status)
	}
	// b is active in Webex now; after the poll interval a sees it.
	if err := w.T.Pace(ctx, w.T.Site.Hybrid.WebexAPI); err != nil {
		return ctx, err
	}
	if _, e, err := wc.Send(ctx, b.Hybrid.WebexToken, webex.Send{ToPersonEmail: a.Hybrid.WebexEmail, Text: nonce(w, "active")}); err != nil {
		fmt.Fprintf(&ev, "%s\n", strings.TrimSpace(e.String()))
		return ctx, fmt.Errorf("activity in Webex as %s: %w", b.Hybrid.WebexEmail, err)
	}
	ctx, err = steps.Elapse(ctx, 10*time.Minute)
	if err != nil {
		return ctx, err
	}
	p, err := probe("p2")
	if err != nil {
		return ctx, fmt.Errorf("presence probe of %s as %s: no answer: %w", b.Hybrid.JID, a.Hybrid.JID, err)
	}
	fmt.Fprintf(&ev, "10 minutes after %s's activity in Webex, %s sees %s: show %q status %q\n", b.Hybrid.WebexEmail, a.Hybrid.JID, b.Hybrid.JID, p.Show, p.Status)
	if p.Status != hybrid.StatusAvailable {
		f.Add("Webex presence of %s in Jabber: want %q within the 10-minute poll after activity, got show %q status %q", b.Hybrid.JID, hybrid.StatusAvailable, p.Show, p.Status)
	}
	ctx = steps.Attach(ctx, "presence", ev.String())
	return ctx, f.Err()
}
