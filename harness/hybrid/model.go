// Package hybrid models the Hybrid Message service between Jabber users
// on IM&P (addressed by JID) and Webex App users (addressed by email): the
// connector that maps JID to email and back with the service's limits, an
// in-memory IM&P side behind a small interface (the XMPP binding comes
// later), an embedded site (test users, the Webex fake, the connector)
// whose faults are named options, and the probes behind checks HYB-01 to
// HYB-14. Time is injected; nothing waits. See README.md.
package hybrid

import (
	"context"
	"sync"
	"time"

	"example.com/cutover/harness/hybrid/webex"
)

// Sentinels.
const (
	// ErrNotBridged is wrapped by the connector's refusals: the message is
	// reported to its sender, not bridged.
	ErrNotBridged = sentinel("hybrid: not bridged")
	// ErrUnknownUser: no IM&P user has the JID or email.
	ErrUnknownUser = sentinel("hybrid: unknown user")
	// ErrAmbiguous: several IM&P users claim one email.
	ErrAmbiguous = sentinel("hybrid: email claimed by several users")
	// ErrOption is wrapped by bad options.
	ErrOption = sentinel("hybrid: option")
)

type sentinel string

func (s sentinel) Error() string { return string(s) }

// Message types, as XMPP names them (RFC 6121 §5.2.2).
const (
	TypeChat      = "chat"
	TypeGroupChat = "groupchat"
	TypeError     = "error"
	// TypeNotice is a headline (RFC 6121 §5.2.2) the connector sends a
	// Jabber user about their own message: what was not bridged.
	TypeNotice = "headline"
)

// Message is one XMPP message between a Jabber client and IM&P, reduced
// to what the bridge looks at.
type Message struct {
	ID   string
	From string // bare JID
	To   string // bare JID
	Type string // TypeChat, TypeGroupChat, TypeError, TypeNotice
	Body string // plain text
	// HTML is an XHTML-IM body (XEP-0071): rich text.
	HTML string
	// Files are files offered with the message (XEP-0234/XEP-0363).
	Files []File
	// Error says why, for TypeError and TypeNotice.
	Error string
	Time  time.Time
}

// File is one file offered in a message.
type File struct {
	Name string
	URL  string
	Size int64
}

// User is one IM&P user as the connector syncs them (AXL on TCP 8443):
// the JID, the Directory URI it maps to, and IM&P enablement.
type User struct {
	UserID       string
	JID          string
	DirectoryURI string
	Enabled      bool
}

// Presence is what a Jabber user sees of a contact.
type Presence struct {
	// Show is "available", "away" or "offline".
	Show string
	// Status is the text, e.g. "Available @ Webex".
	Status string
	// PolledAt is the Webex poll the value comes from (zero when not
	// from Webex).
	PolledAt time.Time
}

// Presence texts the connector shows Jabber users for a Webex user
// (Hybrid Message Service deployment guide; Webex help article n8gtpu7).
const (
	StatusAvailable = "Available @ Webex"
	StatusAway      = "Away @ Webex"
)

// IMP is what the connector needs from IM&P: deliver a message to a JID's
// Jabber clients, and the user directory as a sync at a given time sees
// it. Receiving from JIDs is the other direction: IM&P calls
// Connector.FromJabber. MemoryIMP implements it; an XMPP binding (TCP
// 7400, as the real connector uses) implements it later.
type IMP interface {
	Deliver(ctx context.Context, m Message) error
	// Users returns the directory as of at (a binding with no history
	// returns the current state).
	Users(ctx context.Context, at time.Time) ([]User, error)
}

// Webex is what the connector needs from Webex. WebexServer adapts the
// webex fake.
type Webex interface {
	// Deliver posts a 1:1 message from one Webex identity to another.
	Deliver(ctx context.Context, from, to string, m webex.Message) error
	// Hybrid reports whether the identity exists and is enabled for Hybrid
	// Message.
	Hybrid(ctx context.Context, email string) (exists, enabled bool, err error)
	// LastActivity is the identity's last activity at or before t.
	LastActivity(ctx context.Context, email string, t time.Time) (time.Time, bool)
	// SetStatus pushes a presence status into Webex. The service never
	// does; only the PushJabberPresence fault calls it.
	SetStatus(ctx context.Context, email, status string) error
}

// WebexServer adapts *webex.Server to Webex.
type WebexServer struct{ S *webex.Server }

// Deliver implements Webex.
func (w WebexServer) Deliver(_ context.Context, from, to string, m webex.Message) error {
	_, err := w.S.Deliver(from, to, m)
	return err
}

// Hybrid implements Webex.
func (w WebexServer) Hybrid(_ context.Context, email string) (bool, bool, error) {
	on, err := w.S.Hybrid(email)
	if err != nil {
		return false, false, nil
	}
	return true, on, nil
}

// LastActivity implements Webex.
func (w WebexServer) LastActivity(_ context.Context, email string, t time.Time) (time.Time, bool) {
	return w.S.LastActivity(email, t)
}

// SetStatus implements Webex.
func (w WebexServer) SetStatus(_ context.Context, email, status string) error {
	return w.S.SetStatus(email, status)
}

// Clock is a manual clock for the embedded site: Now only moves when
// Advance is called. The zero value starts at the zero time; use NewClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (never back).
func (c *Clock) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
