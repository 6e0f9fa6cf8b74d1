package hybrid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/webex"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

// SyncWindow is how soon the connector must route to a changed Directory
// URI: its directory sync interval (Hybrid Message Service deployment
// guide).
const SyncWindow = 10 * time.Minute

// emailChange: a Directory URI change (over AXL, as the target opts in)
// routes to the new Webex identity within the sync window; the old URI is
// put back, and the window waited again so the connector has it back too.
func emailChange(ctx context.Context) (out context.Context, _ error) {
	w := steps.WorldFrom(ctx)
	h := w.T.Site.Hybrid
	c := h.EmailChange
	if c == nil {
		return ctx, steps.NotApplicable("the target names no email change (hybrid.email_change): HYB-05 changes a Directory URI over AXL only when opted into")
	}
	users, err := migrating(w)
	if err != nil {
		return ctx, err
	}
	var mover, sender *target.User
	for i := range users {
		switch {
		case users[i].Username == c.User:
			mover = &users[i]
		case sender == nil:
			sender = &users[i]
		}
	}
	if mover == nil || sender == nil {
		return ctx, steps.NotApplicable("HYB-05 needs the user %s and another migrating test user to message them", c.User)
	}
	js, err := signIn(ctx, w, *sender)
	if err != nil {
		return ctx, err
	}
	defer js.close()
	var ev strings.Builder
	defer func() { out = steps.Attach(out, "Directory URI change", ev.String()) }()
	reaches := func(owner target.User, tag string) (bool, error) {
		text := nonce(w, tag)
		fmt.Fprintf(&ev, "Jabber %s sends to %s: %q\n", sender.Hybrid.JID, mover.Hybrid.JID, text)
		if err := js.send(ctx, w, hybrid.StanzaOf(hybrid.Message{ID: tag, To: mover.Hybrid.JID, Type: hybrid.TypeChat, Body: text})); err != nil {
			return false, err
		}
		return inWebexUnless(ctx, w, owner, sender.Hybrid.WebexEmail, func(m webex.Message) bool { return m.Text == text }, js.bounce(tag), &ev)
	}
	ok, err := reaches(*mover, "before")
	switch {
	case err != nil:
		return ctx, fmt.Errorf("before the change, a message to JID %s: %w", mover.Hybrid.JID, err)
	case !ok:
		return ctx, fmt.Errorf("before the change, a message to JID %s: want it at %s, got nothing (HYB-03 tells why)", mover.Hybrid.JID, mover.Hybrid.WebexEmail)
	}
	uid, _, _ := strings.Cut(mover.Hybrid.JID, "@")
	set := func(uri string) error {
		_, err := hybrid.UpdateDirectoryURI(ctx, w.T.HTTPClient(w.Where), axlBase(w.T), h.AXL.Username, h.AXL.Password, uid, uri)
		fmt.Fprintf(&ev, "AXL updateUser %s directoryUri %s: %v\n", uid, uri, err)
		return err
	}
	if err := set(c.NewEmail); err != nil {
		return ctx, fmt.Errorf("changing %s's Directory URI: %w", uid, err)
	}
	defer func() {
		if err := set(mover.Hybrid.WebexEmail); err == nil {
			out, _ = steps.Elapse(out, SyncWindow) // the connector takes the old URI back
		}
	}()
	if ctx, err = steps.Elapse(ctx, SyncWindow); err != nil {
		return ctx, err
	}
	moved := target.User{Username: c.NewEmail, HybridUser: target.HybridUser{Hybrid: &target.HybridUserSpec{WebexEmail: c.NewEmail, WebexToken: c.WebexToken}}}
	ok, err = reaches(moved, "after")
	switch {
	case errors.As(err, new(bounced)):
		return ctx, fmt.Errorf("%s after the Directory URI of %s changed to %s: want a message to JID %s at %s; %w",
			SyncWindow, uid, c.NewEmail, mover.Hybrid.JID, c.NewEmail, err)
	case err != nil:
		return ctx, fmt.Errorf("reading %s's Webex messages: %w", c.NewEmail, err)
	case !ok:
		steps.Hint(ctx, "the connector must read JIDs and Directory URIs at least every 10 minutes; check its directory sync and its AXL access to the IM&P publisher")
		return ctx, fmt.Errorf("%s after the Directory URI of %s changed to %s: want a message to JID %s at %s, got nothing",
			SyncWindow, uid, c.NewEmail, mover.Hybrid.JID, c.NewEmail)
	}
	return ctx, nil
}
