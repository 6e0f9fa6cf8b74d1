package hybrid

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Jabber is the Jabber clients' view of IM&P, what the probes drive:
// send as a JID, read a JID's inbox, see and set presence. MemoryIMP
// implements it; an XMPP c2s binding implements it in a lab.
type Jabber interface {
	Send(ctx context.Context, m Message) error
	Inbox(jid string) []Message
	Presence(ctx context.Context, watcher, jid string) (Presence, error)
	SetPresence(ctx context.Context, jid, show string) error
}

// MemoryIMP is an in-memory IM&P: a user directory with history (so a
// connector sync at time t sees the directory as it was at t), one inbox
// per JID, and presence. It implements IMP for the connector and Jabber
// for the probes.
type MemoryIMP struct {
	clock func() time.Time

	mu       sync.Mutex
	history  map[string][]version // lower-case JID → versions, oldest first
	order    []string
	inbox    map[string][]Message
	presence map[string]string
	sent     []Message
	conn     Bridge
	notify   func(jid string, m Message)
}

// Bridge is what IM&P hands Jabber traffic to: the connector in-process
// (*Connector), or its XMPP link (TCP 7400) on a site.
type Bridge interface {
	FromJabber(ctx context.Context, m Message) (Event, error)
	Presence(ctx context.Context, jid string) (Presence, error)
	JabberPresence(ctx context.Context, jid, show string) error
}

type version struct {
	at time.Time
	u  User
}

// maxInbox caps each inbox.
const maxInbox = 1000

// NewMemoryIMP returns an IM&P with users (unique JIDs), all present from
// the beginning of time. clock stamps later changes.
func NewMemoryIMP(clock func() time.Time, users ...User) (*MemoryIMP, error) {
	if clock == nil {
		clock = time.Now
	}
	m := &MemoryIMP{clock: clock, history: map[string][]version{}, inbox: map[string][]Message{}, presence: map[string]string{}}
	for _, u := range users {
		k := strings.ToLower(u.JID)
		if k == "" {
			return nil, fmt.Errorf("%w: user %q without a JID", ErrOption, u.UserID)
		}
		if _, dup := m.history[k]; dup {
			return nil, fmt.Errorf("%w: JID %s twice", ErrOption, u.JID)
		}
		m.history[k] = []version{{u: u}}
		m.order = append(m.order, k)
	}
	return m, nil
}

// Attach makes IM&P hand messages and presence to c.
func (m *MemoryIMP) Attach(c *Connector) {
	if c == nil {
		m.AttachBridge(nil)
		return
	}
	m.AttachBridge(c)
}

// AttachBridge makes IM&P hand messages and presence to b (nil: none).
func (m *MemoryIMP) AttachBridge(b Bridge) {
	m.mu.Lock()
	m.conn = b
	m.mu.Unlock()
}

// OnDeliver sets f to be told of every message that lands in an inbox (a
// c2s session pushes it to its client). f runs under the IM&P's lock: it
// must not block nor call m.
func (m *MemoryIMP) OnDeliver(f func(jid string, msg Message)) {
	m.mu.Lock()
	m.notify = f
	m.mu.Unlock()
}

func (m *MemoryIMP) currentLocked(jid string) (User, bool) {
	h := m.history[strings.ToLower(jid)]
	if len(h) == 0 {
		return User{}, false
	}
	return h[len(h)-1].u, true
}

// Users implements IMP: the directory as of at.
func (m *MemoryIMP) Users(_ context.Context, at time.Time) ([]User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]User, 0, len(m.order))
	for _, k := range m.order {
		h := m.history[k]
		i := sort.Search(len(h), func(i int) bool { return h[i].at.After(at) })
		if i > 0 {
			out = append(out, h[i-1].u)
		}
	}
	return out, nil
}

func (m *MemoryIMP) change(jid string, f func(*User)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.currentLocked(jid)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownUser, jid)
	}
	f(&u)
	k := strings.ToLower(jid)
	m.history[k] = append(m.history[k], version{at: m.clock(), u: u})
	return nil
}

// SetDirectoryURI changes jid's Directory URI now (an LDAP sync that
// brought a new mail).
func (m *MemoryIMP) SetDirectoryURI(jid, uri string) error {
	return m.change(jid, func(u *User) { u.DirectoryURI = uri })
}

// SetEnabled changes jid's IM and Presence enablement now.
func (m *MemoryIMP) SetEnabled(jid string, on bool) error {
	return m.change(jid, func(u *User) { u.Enabled = on })
}

// Deliver implements IMP: m goes to the inbox of m.To.
func (m *MemoryIMP) Deliver(_ context.Context, msg Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.currentLocked(msg.To)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownUser, msg.To)
	}
	if msg.Time.IsZero() {
		msg.Time = m.clock()
	}
	m.appendLocked(u.JID, msg)
	return nil
}

func (m *MemoryIMP) appendLocked(jid string, msg Message) {
	k := strings.ToLower(jid)
	m.inbox[k] = append(m.inbox[k], msg)
	if len(m.inbox[k]) > maxInbox {
		m.inbox[k] = m.inbox[k][1:]
	}
	if m.notify != nil {
		m.notify(k, msg)
	}
}

// Send is a Jabber client of m.From sending m: IM&P delivers a 1:1
// message to the recipient's Jabber clients and hands every message to
// the connector, whose reports land in the sender's inbox.
func (m *MemoryIMP) Send(ctx context.Context, msg Message) error {
	now := m.clock()
	if msg.Time.IsZero() {
		msg.Time = now
	}
	m.mu.Lock()
	if _, ok := m.currentLocked(msg.From); !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: sender %s", ErrUnknownUser, msg.From)
	}
	m.sent = append(m.sent, msg)
	if msg.Type != TypeGroupChat {
		if to, ok := m.currentLocked(msg.To); ok && to.Enabled {
			m.appendLocked(to.JID, msg)
		}
	}
	conn := m.conn
	m.mu.Unlock()
	if conn != nil {
		_, _ = conn.FromJabber(ctx, msg) // refusals are reported in the sender's inbox
	}
	return nil
}

// Inbox returns what jid's Jabber clients received, oldest first.
func (m *MemoryIMP) Inbox(jid string) []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.inbox[strings.ToLower(jid)]...)
}

// Sent returns what Jabber clients sent, oldest first.
func (m *MemoryIMP) Sent() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.sent...)
}

// Presence is what watcher sees of jid: the connector's Webex presence
// when it maps jid, else jid's Jabber presence.
func (m *MemoryIMP) Presence(ctx context.Context, watcher, jid string) (Presence, error) {
	m.mu.Lock()
	_, okw := m.currentLocked(watcher)
	_, ok := m.currentLocked(jid)
	conn := m.conn
	show := m.presence[strings.ToLower(jid)]
	m.mu.Unlock()
	if !okw || !ok {
		return Presence{}, fmt.Errorf("%w: %s or %s", ErrUnknownUser, watcher, jid)
	}
	if conn != nil {
		if p, err := conn.Presence(ctx, jid); err == nil {
			return p, nil
		}
	}
	if show == "" {
		show = "offline"
	}
	return Presence{Show: show}, nil
}

// SetPresence sets jid's Jabber presence (available, away, xa, dnd,
// offline) and tells the connector.
func (m *MemoryIMP) SetPresence(ctx context.Context, jid, show string) error {
	m.mu.Lock()
	if _, ok := m.currentLocked(jid); !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrUnknownUser, jid)
	}
	m.presence[strings.ToLower(jid)] = show
	conn := m.conn
	m.mu.Unlock()
	if conn != nil {
		return conn.JabberPresence(ctx, jid, show)
	}
	return nil
}
