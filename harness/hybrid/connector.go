package hybrid

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/hybrid/webex"
)

// Directions an Event can have.
const (
	JabberToWebex   = "jabber->webex"
	WebexToJabber   = "webex->jabber"
	PresenceToWebex = "presence jabber->webex"
)

// Event is one thing the connector did with a message or presence.
type Event struct {
	Time     time.Time
	Dir      string
	From, To string
	Bridged  bool
	// Reason says why not bridged, or what was left out (a notice).
	Reason string
}

// Connector models the Hybrid Message connector on Expressway-C: it syncs
// each IM&P user's JID and Directory URI (every DirectorySyncInterval),
// bridges 1:1 plain text between a JID and the Webex identity whose email
// is the Directory URI, refuses what the service does not bridge (group
// chat, files from Jabber) with a report to the sender, turns files from
// Webex into links, and shows Jabber users a Webex user's presence as of
// the last poll (every PresencePollInterval). Everything is computed from
// the injected clock when asked: there are no goroutines and no timers.
type Connector struct {
	cfg config
	imp IMP
	wx  Webex
	t0  time.Time

	mu      sync.Mutex
	synced  time.Time
	haveDir bool
	byJID   map[string]User
	byEmail map[string][]User
	events  []Event
}

// NewConnector returns a connector between imp and wx. Site-only options
// are refused.
func NewConnector(imp IMP, wx Webex, opts ...Option) (*Connector, error) {
	cfg, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if cfg.site {
		return nil, fmt.Errorf("%w: a site option was given to NewConnector", ErrOption)
	}
	return newConnector(imp, wx, cfg)
}

func newConnector(imp IMP, wx Webex, cfg config) (*Connector, error) {
	if imp == nil || wx == nil {
		return nil, fmt.Errorf("%w: NewConnector needs both sides", ErrOption)
	}
	return &Connector{cfg: cfg, imp: imp, wx: wx, t0: cfg.clock()}, nil
}

// Close is idempotent and has nothing to stop.
func (c *Connector) Close() error { return nil }

// Received returns what the connector did so far, oldest first.
func (c *Connector) Received() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

func (c *Connector) record(ev Event) {
	c.mu.Lock()
	c.events = append(c.events, ev)
	if len(c.events) > 10000 {
		c.events = c.events[1:]
	}
	c.mu.Unlock()
}

// tick is the last multiple of interval since t0 at or before now.
func (c *Connector) tick(now time.Time, interval time.Duration) time.Time {
	if now.Before(c.t0) {
		return c.t0
	}
	return c.t0.Add(now.Sub(c.t0) / interval * interval)
}

func (c *Connector) emailKey(s string) string {
	if c.cfg.caseSensitive {
		return strings.TrimSpace(s)
	}
	k, err := ident.EmailKey(s)
	if err != nil {
		return ""
	}
	return k
}

// directory brings the synced directory up to the last sync instant.
func (c *Connector) directory(ctx context.Context) error {
	at := c.tick(c.cfg.clock(), c.cfg.syncInterval)
	c.mu.Lock()
	fresh := c.haveDir && c.synced.Equal(at)
	c.mu.Unlock()
	if fresh {
		return nil
	}
	users, err := c.imp.Users(ctx, at)
	if err != nil {
		return fmt.Errorf("hybrid: directory sync: %w", err)
	}
	byJID, byEmail := map[string]User{}, map[string][]User{}
	for _, u := range users {
		byJID[strings.ToLower(u.JID)] = u
		if k := c.emailKey(u.DirectoryURI); k != "" {
			byEmail[k] = append(byEmail[k], u)
		}
	}
	c.mu.Lock()
	c.synced, c.haveDir, c.byJID, c.byEmail = at, true, byJID, byEmail
	c.mu.Unlock()
	return nil
}

// byJIDLocked finds the synced user with jid and their email.
func (c *Connector) resolveJID(ctx context.Context, jid string) (User, string, error) {
	if c.cfg.jidAsEmail {
		return User{JID: jid, DirectoryURI: jid, Enabled: true}, jid, nil
	}
	if err := c.directory(ctx); err != nil {
		return User{}, "", err
	}
	c.mu.Lock()
	u, ok := c.byJID[strings.ToLower(jid)]
	var claims int
	if ok {
		claims = len(c.byEmail[c.emailKey(u.DirectoryURI)])
	}
	c.mu.Unlock()
	switch {
	case !ok:
		return User{}, "", fmt.Errorf("%w: no IM&P user has JID %s", ErrUnknownUser, jid)
	case !u.Enabled:
		return u, "", fmt.Errorf("%w: %s is not enabled for IM and Presence", ErrNotBridged, jid)
	case strings.TrimSpace(u.DirectoryURI) == "":
		return u, "", fmt.Errorf("%w: %s has no Directory URI to map to an email", ErrNotBridged, jid)
	case c.emailKey(u.DirectoryURI) == "":
		return u, "", fmt.Errorf("%w: %s has Directory URI %q, not an email address", ErrNotBridged, jid, u.DirectoryURI)
	case claims > 1:
		return u, "", fmt.Errorf("%w: %d IM&P users have Directory URI %s", ErrAmbiguous, claims, u.DirectoryURI)
	}
	return u, u.DirectoryURI, nil
}

// Lookup returns the IM&P user the connector maps email to.
func (c *Connector) Lookup(ctx context.Context, email string) (User, error) {
	if c.cfg.jidAsEmail {
		return User{JID: strings.ToLower(email), DirectoryURI: email, Enabled: true}, nil
	}
	if err := c.directory(ctx); err != nil {
		return User{}, err
	}
	c.mu.Lock()
	us := c.byEmail[c.emailKey(email)]
	c.mu.Unlock()
	switch {
	case len(us) == 0:
		return User{}, fmt.Errorf("%w: no IM&P user has Directory URI %s", ErrUnknownUser, email)
	case len(us) > 1:
		return User{}, fmt.Errorf("%w: %d IM&P users have Directory URI %s (%s, %s)", ErrAmbiguous, len(us), email, us[0].JID, us[1].JID)
	case !us[0].Enabled:
		return us[0], fmt.Errorf("%w: %s is not enabled for IM and Presence", ErrNotBridged, us[0].JID)
	}
	return us[0], nil
}

// webexSide checks that email is a Webex identity enabled for Hybrid
// Message.
func (c *Connector) webexSide(ctx context.Context, email string) error {
	exists, on, err := c.wx.Hybrid(ctx, email)
	switch {
	case err != nil:
		return fmt.Errorf("hybrid: webex: %w", err)
	case !exists:
		return fmt.Errorf("%w: no Webex identity has email %s", ErrNotBridged, email)
	case !on:
		return fmt.Errorf("%w: Webex identity %s is not enabled for Hybrid Message", ErrNotBridged, email)
	}
	return nil
}

// FromJabber is IM&P handing the connector a message from a Jabber user.
// It bridges 1:1 text to the recipient's Webex identity; what it does not
// bridge it reports to the sender (an error message, or a notice for the
// parts left out) and returns an error wrapping ErrNotBridged.
func (c *Connector) FromJabber(ctx context.Context, m Message) (Event, error) {
	now := c.cfg.clock()
	ev := Event{Time: now, Dir: JabberToWebex, From: m.From, To: m.To}
	refuse := func(err error, silent bool) (Event, error) {
		ev.Reason = err.Error()
		if !silent {
			if derr := c.imp.Deliver(ctx, Message{ID: m.ID, Type: TypeError, From: m.To, To: m.From, Body: m.Body,
				Error: "not bridged to Webex: " + err.Error(), Time: now}); derr != nil {
				ev.Reason += "; the report to the sender failed: " + derr.Error()
			}
		} else {
			ev.Reason += " (dropped silently)"
		}
		c.record(ev)
		return ev, err
	}
	switch m.Type {
	case TypeGroupChat:
		return refuse(fmt.Errorf("%w: group chat (Hybrid Message bridges 1:1 messages only)", ErrNotBridged), c.cfg.groupChatSilent)
	case "", TypeChat, "normal":
	default:
		return refuse(fmt.Errorf("%w: message type %q", ErrNotBridged, m.Type), c.cfg.unrouted)
	}
	_, fromEmail, err := c.resolveJID(ctx, m.From)
	if err != nil {
		return refuse(fmt.Errorf("%w: sender: %v", ErrNotBridged, err), c.cfg.unrouted)
	}
	_, toEmail, err := c.resolveJID(ctx, m.To)
	if err != nil {
		return refuse(fmt.Errorf("%w: recipient: %v", ErrNotBridged, err), c.cfg.unrouted)
	}
	for _, e := range []string{fromEmail, toEmail} {
		if err := c.webexSide(ctx, e); err != nil {
			return refuse(err, c.cfg.unrouted)
		}
	}
	var notices []string
	if len(m.Files) > 0 && !c.cfg.filesSilent {
		for _, f := range m.Files {
			notices = append(notices, fmt.Sprintf("file %q not bridged: Webex does not take files from Jabber", f.Name))
		}
	}
	if m.HTML != "" {
		if c.cfg.richTextSilent {
			ev.Reason = "rich text (dropped silently)"
			c.record(ev)
			return ev, nil
		}
		notices = append(notices, "formatting not bridged: delivered as plain text")
	}
	body := m.Body
	if len(body) > webex.MaxText {
		return refuse(fmt.Errorf("%w: %d bytes of text, Webex takes %d", ErrNotBridged, len(body), webex.MaxText), c.cfg.unrouted)
	}
	if body != "" {
		if err := c.wx.Deliver(ctx, fromEmail, toEmail, webex.Message{Text: body}); err != nil {
			return refuse(fmt.Errorf("%w: webex: %v", ErrNotBridged, err), c.cfg.unrouted)
		}
		ev.Bridged = true
	}
	for _, n := range notices {
		if err := c.imp.Deliver(ctx, Message{ID: m.ID, Type: TypeNotice, From: m.To, To: m.From, Error: n, Time: now}); err != nil {
			n += "; the notice failed: " + err.Error()
		}
		if ev.Reason != "" {
			ev.Reason += "; "
		}
		ev.Reason += n
	}
	c.record(ev)
	if !ev.Bridged {
		return ev, fmt.Errorf("%w: nothing to bridge (%s)", ErrNotBridged, ev.Reason)
	}
	return ev, nil
}

// FromWebex is Webex handing the connector a 1:1 message to a Hybrid
// Message user (use it as the webex fake's Bridge). Files arrive as links.
func (c *Connector) FromWebex(ctx context.Context, m webex.Message) error {
	now := c.cfg.clock()
	ev := Event{Time: now, Dir: WebexToJabber, From: m.PersonEmail, To: m.ToPersonEmail}
	fail := func(err error) error {
		ev.Reason = err.Error()
		c.record(ev)
		return err
	}
	if c.cfg.oneWay {
		return fail(fmt.Errorf("%w: no route to IM&P", ErrNotBridged))
	}
	from, err := c.Lookup(ctx, m.PersonEmail)
	if err != nil {
		return fail(fmt.Errorf("%w: sender: %v", ErrNotBridged, err))
	}
	to, err := c.Lookup(ctx, m.ToPersonEmail)
	if err != nil {
		return fail(fmt.Errorf("%w: recipient: %v", ErrNotBridged, err))
	}
	text := m.Text
	if text == "" {
		text = m.Markdown
	}
	if !c.cfg.dropWebexFiles {
		for _, f := range m.Files {
			if text != "" {
				text += "\n"
			}
			text += f
		}
	}
	if text == "" {
		return fail(fmt.Errorf("%w: nothing to deliver", ErrNotBridged))
	}
	if err := c.imp.Deliver(ctx, Message{ID: m.ID, Type: TypeChat, From: from.JID, To: to.JID, Body: text, Time: now}); err != nil {
		return fail(fmt.Errorf("hybrid: deliver to %s: %w", to.JID, err))
	}
	ev.Bridged = true
	c.record(ev)
	return nil
}

// Presence is what Jabber users see of jid's Webex presence: derived from
// the Webex identity's last activity as of the last presence poll.
func (c *Connector) Presence(ctx context.Context, jid string) (Presence, error) {
	_, email, err := c.resolveJID(ctx, jid)
	if err != nil {
		return Presence{}, err
	}
	at := c.tick(c.cfg.clock(), c.cfg.presenceInterval)
	last, ok := c.wx.LastActivity(ctx, email, at)
	p := Presence{Show: "offline", PolledAt: at}
	switch idle := at.Sub(last); {
	case !ok:
	case idle <= c.cfg.availableFor:
		p.Show, p.Status = "available", StatusAvailable
	case idle <= c.cfg.awayFor:
		p.Show, p.Status = "away", StatusAway
	}
	return p, nil
}

// JabberPresence is IM&P telling the connector a Jabber user's presence
// changed. The service never passes it to Webex; the PushJabberPresence
// fault does.
func (c *Connector) JabberPresence(ctx context.Context, jid, show string) error {
	ev := Event{Time: c.cfg.clock(), Dir: PresenceToWebex, From: jid}
	if !c.cfg.pushPresence {
		ev.Reason = "Jabber presence is not sent to Webex"
		c.record(ev)
		return nil
	}
	_, email, err := c.resolveJID(ctx, jid)
	if err != nil {
		ev.Reason = err.Error()
		c.record(ev)
		return nil
	}
	status := "active"
	switch show {
	case "dnd":
		status = "DoNotDisturb"
	case "away", "xa":
		status = "inactive"
	}
	ev.To, ev.Bridged = email, true
	c.record(ev)
	if err := c.wx.SetStatus(ctx, email, status); err != nil && !errors.Is(err, webex.ErrUnknownPerson) {
		return fmt.Errorf("hybrid: push presence: %w", err)
	}
	return nil
}
