package target

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultLockoutWindow is how long a product remembers authentication
// failures: Expressway-E blocks a source for 10 minutes after more than 5
// MRA failures (Cisco Expressway administrator guide, "Configuring
// authentication"; unconfirmed for UCM).
const DefaultLockoutWindow = 10 * time.Minute

// DefaultMaxRequestsPerHost is a lab target's limits.max_requests_per_host:
// a run of every check against a site of a few nodes sends each host a
// few hundred at most.
const DefaultMaxRequestsPerHost = 2000

// authEvent is one authentication failure the suite caused on a host: a
// test user's credential refused, or a deliberate bad-credential probe.
type authEvent struct {
	Host string    `json:"host"`
	User string    `json:"user,omitempty"`
	Kind string    `json:"kind"` // "refused" or "probe"
	At   time.Time `json:"at"`
	Why  string    `json:"why,omitempty"`
}

// authGuard keeps the suite below every account-lockout threshold. It
// counts each failure per host, for every capability, user and repeat, and
// for a lab target it keeps them in a small state file so that runs in a
// row share the budget for the product's lockout window.
type authGuard struct {
	max    int
	window time.Duration
	now    func() time.Time
	file   string // "" keeps the state in memory only

	mu       sync.Mutex
	events   []authEvent
	accepted map[string]bool  // credKey: taken once by the host in this process
	inflight []*CredentialUse // reserved sends not yet settled
	wake     chan struct{}    // closed when a send in flight is settled
}

func newAuthGuard(l Limits, file string, now func() time.Time) *authGuard {
	w := l.LockoutWindow.D()
	if w <= 0 {
		w = DefaultLockoutWindow
	}
	return &authGuard{max: l.MaxAuthFailures, window: w, now: now, file: file,
		accepted: map[string]bool{}, wake: make(chan struct{})}
}

// StateFile names the file that carries a lab target's authentication
// failures across processes: one per target file and site name, under dir
// (DefaultStateDir).
func StateFile(dir string, site *Site) string {
	id := site.Name
	if site.File != "" {
		if abs, err := filepath.Abs(site.File); err == nil {
			id = abs + "\x00" + site.Name
		}
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(dir, "auth-"+hex.EncodeToString(sum[:8])+".json")
}

// DefaultStateDir is $CUTOVER_STATE_DIR, else the user's cache directory
// (on Linux ~/.cache/cutover).
func DefaultStateDir() string {
	if d := os.Getenv("CUTOVER_STATE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "cutover")
	}
	return filepath.Join(os.TempDir(), "cutover")
}

// ResetAuthState forgets a lab target's remembered failures (cutover run
// --reset-auth-budget): for when the operator knows the window is over or
// the lockout was cleared on the product.
func ResetAuthState(dir string, site *Site) error {
	err := os.Remove(StateFile(dir, site))
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("target: reset auth budget: %w", err)
	}
	return nil
}

// loadLocked merges the state file (another process's failures) into the
// events and forgets those older than the window.
func (g *authGuard) loadLocked() {
	if g.file != "" {
		if b, err := os.ReadFile(g.file); err == nil {
			var disk []authEvent
			if json.Unmarshal(b, &disk) == nil {
				for _, e := range disk {
					if !g.hasLocked(e) {
						g.events = append(g.events, e)
					}
				}
			}
		}
	}
	cut := g.now().Add(-g.window)
	kept := g.events[:0]
	for _, e := range g.events {
		if e.At.After(cut) {
			kept = append(kept, e)
		}
	}
	g.events = kept
}

func (g *authGuard) hasLocked(e authEvent) bool {
	for _, x := range g.events {
		if x.Host == e.Host && x.User == e.User && x.Kind == e.Kind && x.At.Equal(e.At) {
			return true
		}
	}
	return false
}

// saveLocked writes the events (atomically: a reader never sees half).
func (g *authGuard) saveLocked() error {
	if g.file == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(g.file), 0o700); err != nil {
		return fmt.Errorf("target: auth state: %w", err)
	}
	b, err := json.MarshalIndent(g.events, "", "  ")
	if err != nil {
		return fmt.Errorf("target: auth state: %w", err)
	}
	tmp := g.file + ".tmp" + fmt.Sprint(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("target: auth state: %w", err)
	}
	if err := os.Rename(tmp, g.file); err != nil {
		return fmt.Errorf("target: auth state: %w", err)
	}
	return nil
}

func (g *authGuard) failuresLocked(host string) int {
	n := 0
	for _, e := range g.events {
		if e.Host == host {
			n++
		}
	}
	return n
}

// credKey names one test user's credential on one host.
func credKey(host, user string) string { return host + "\x00" + user }

// use waits until user's credential may be sent to host and reserves
// the send. Until host has accepted that credential once in this process,
// at most one send of it is on the wire at a time, and every send in
// flight counts against the host's failure budget as if it were refused:
// checks side by side can neither send a credential again before the
// first refusal is known nor pass max_auth_failures together. Once
// accepted, the credential goes out freely (a later refusal still stops
// it). A sender (WithSender) that holds a send on host goes on under it:
// one sign-in is one failure at most there, and it never waits for a
// place while it holds one (no two sign-ins wait for each other). The
// caller settles the use with what the host answered.
func (g *authGuard) use(ctx context.Context, host, user string) (*CredentialUse, error) {
	host = hostKey(host)
	key := credKey(host, user)
	sender := senderOf(ctx)
	for {
		g.mu.Lock()
		g.loadLocked()
		if err := g.refusedLocked(host, user); err != nil {
			g.mu.Unlock()
			return nil, err
		}
		n := g.failuresLocked(host)
		busy, slots, held := g.inflightLocked(host, user, sender)
		switch {
		case n >= g.max:
			g.mu.Unlock()
			return nil, fmt.Errorf("%w: %d authentication failure(s) on %s in the last %s (limits.max_auth_failures is %d): no credential is sent there",
				ErrSafetyLimit, n, host, g.window, g.max)
		case g.accepted[key]:
			g.mu.Unlock()
			return &CredentialUse{g: g, host: host, user: user}, nil
		case busy:
			// The same credential is on the wire (another sender's, or
			// another check's): its answer decides this one. That is one
			// request or one sign-in that does not wait for this one, so
			// the wait ends.
		case held:
			// Under the sender's place on host: no place of its own, but
			// on the wire all the same, so no one else sends it meanwhile.
			c := &CredentialUse{g: g, host: host, user: user, sender: sender, reserved: true, noSlot: true}
			g.inflight = append(g.inflight, c)
			g.mu.Unlock()
			return c, nil
		case n+slots < g.max:
			c := &CredentialUse{g: g, host: host, user: user, sender: sender, reserved: true}
			g.inflight = append(g.inflight, c)
			g.mu.Unlock()
			return c, nil
		}
		// Other sends are in flight whose answers decide this one.
		wake := g.wake
		g.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, NotTested(fmt.Errorf("target: waiting to send %s's credential to %s until the ones in flight are answered: %w", user, host, ctx.Err()))
		}
	}
}

// inflightLocked says, of the sends reserved on host, whether one of
// another sender is user's credential (busy), how many places they take
// (slots), and whether sender holds a place there (held).
func (g *authGuard) inflightLocked(host, user string, sender any) (busy bool, slots int, held bool) {
	for _, c := range g.inflight {
		if c.host != host {
			continue
		}
		own := sender != nil && c.sender == sender
		busy = busy || (c.user == user && !own)
		if c.noSlot {
			continue
		}
		slots++
		held = held || own
	}
	return busy, slots, held
}

// wakeLocked tells every waiter that the sends in flight or the failures
// changed.
func (g *authGuard) wakeLocked() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// waitLocked releases g.mu until a send in flight is settled or ctx ends,
// then takes it again.
func (g *authGuard) waitLocked(ctx context.Context) error {
	wake := g.wake
	g.mu.Unlock()
	defer g.mu.Lock()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type senderKey struct{}

// WithSender marks the requests made with ctx as one sender's (one
// browser's sign-in, say, that holds its password's send until the sign-in
// ends): they do not wait for that sender's own credentials in flight.
// sender must be comparable (a pointer).
func WithSender(ctx context.Context, sender any) context.Context {
	return context.WithValue(ctx, senderKey{}, sender)
}

func senderOf(ctx context.Context) any { return ctx.Value(senderKey{}) }

func (g *authGuard) refusedLocked(host, user string) error {
	for _, e := range g.events {
		if e.Host == host && e.User == user && e.Kind == "refused" {
			return fmt.Errorf("%w: %s refused %s's credential at %s (%s); it is not sent again for %s",
				ErrCredentialRefused, host, user, e.At.UTC().Format(time.RFC3339), e.Why, g.window)
		}
	}
	return nil
}

// CredentialUse is one send of a test user's credential that the
// authentication guard allowed. Settle it once with the host's answer:
// Accepted, Refused, or Done when there was none (a timeout, a transport
// error); the first call counts, the later ones do nothing, so a
// deferred Done is safe.
type CredentialUse struct {
	g          *authGuard
	host, user string
	sender     any  // who sent it (WithSender); nil: nobody in particular
	reserved   bool // a send not accepted before: in flight until settled
	noSlot     bool // under its sender's place on the host: takes none of its own
	once       sync.Once
}

// Host is the host the credential goes to (as the guard counts it).
func (c *CredentialUse) Host() string { return c.host }

// On says whether the credential goes to host (compared as the guard
// counts hosts: case, a trailing dot and a port aside).
func (c *CredentialUse) On(host string) bool { return c.host == hostKey(host) }

// Accepted: the host took the credential.
func (c *CredentialUse) Accepted() { c.settle(true, "") }

// Refused: the host refused the credential (why says how); it is not
// sent there again within the lockout window, by this process or the next.
func (c *CredentialUse) Refused(why string) {
	if why == "" {
		why = "refused"
	}
	c.settle(false, why)
}

// Done: the send ended without an answer either way.
func (c *CredentialUse) Done() { c.settle(false, "") }

func (c *CredentialUse) settle(ok bool, why string) {
	if c == nil || c.g == nil {
		return
	}
	c.once.Do(func() { c.g.settle(c, ok, why) })
}

func (g *authGuard) settle(c *CredentialUse, ok bool, why string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := credKey(c.host, c.user)
	if c.reserved {
		g.inflight = slices.DeleteFunc(g.inflight, func(x *CredentialUse) bool { return x == c })
	}
	switch {
	case why != "":
		// A credential accepted before and refused now (a password
		// changed mid-run) is recorded all the same.
		delete(g.accepted, key)
		g.refusedNowLocked(c.host, c.user, why)
	case ok:
		g.accepted[key] = true
	}
	g.wakeLocked()
}

func (g *authGuard) refusedNowLocked(host, user, why string) {
	g.loadLocked()
	g.events = append(g.events, authEvent{Host: host, User: user, Kind: "refused", At: g.now(), Why: why})
	_ = g.saveLocked() // memory still holds it; the next run may send once more
}

// probe reserves one deliberate bad-credential probe on host, counted as
// a failure before it is sent; sends in flight there count too, so it
// waits for them when they stand in the way.
func (g *authGuard) probe(ctx context.Context, host string) error {
	host = hostKey(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		g.loadLocked()
		n := g.failuresLocked(host)
		_, slots, _ := g.inflightLocked(host, "", nil)
		if n+slots+1 <= g.max {
			break
		}
		if slots == 0 || n+1 > g.max {
			return fmt.Errorf("%w: %d authentication failure(s) on %s in the last %s, limits.max_auth_failures is %d: the bad-credential probe is not sent",
				ErrSafetyLimit, n, host, g.window, g.max)
		}
		if err := g.waitLocked(ctx); err != nil {
			return NotTested(fmt.Errorf("target: waiting to probe %s until the credentials in flight are answered: %w", host, err))
		}
	}
	g.events = append(g.events, authEvent{Host: host, Kind: "probe", At: g.now()})
	return g.saveLocked()
}

// hostKey is a host name as the guard counts it: lower case, no port.
func hostKey(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[i+1:], "]") && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	return h
}

type probeKey struct{}

// isProbe reports whether ctx carries a deliberate bad-credential probe:
// its refusal is the expected answer, not a test user's credential refused.
func isProbe(ctx context.Context) bool { v, _ := ctx.Value(probeKey{}).(bool); return v }

type userKey struct{}

// WithCredentialOf marks the requests made with ctx as carrying user's
// credential (a Bearer token, say, whose user the transport cannot read),
// so a refusal counts against that user.
func WithCredentialOf(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

func credentialOf(ctx context.Context) string { u, _ := ctx.Value(userKey{}).(string); return u }

// probeCall is one probe's result, shared by every caller (and repeat).
type probeCall struct {
	once  sync.Once
	v     any
	err   error
	retry bool // the guard's wait was cut short: not kept
}

// Probe runs f, a deliberate bad-credential probe (e.g. get_edge_config
// with a user that must not exist), at most once per host and name in this
// process, and only while the host's failure budget (max_auth_failures in
// the lockout window, across processes) allows: a repeat gets the first
// result again instead of sending another probe. The requests f makes with
// the context it is given are known as the probe's.
func Probe[T any](ctx context.Context, t *Target, host, name string, f func(ctx context.Context) (T, error)) (T, error) {
	key := hostKey(host) + "|" + name
	t.mu.Lock()
	c, ok := t.probes[key]
	if !ok {
		c = &probeCall{}
		t.probes[key] = c
	}
	t.mu.Unlock()
	c.once.Do(func() {
		if err := t.guard.probe(ctx, host); err != nil {
			c.err = err
			// A wait for the sends in flight cut short by the caller's
			// context is no answer: the next caller tries again.
			c.retry = ctx.Err() != nil
			return
		}
		c.v, c.err = f(context.WithValue(ctx, probeKey{}, true))
	})
	if c.retry {
		t.mu.Lock()
		if t.probes[key] == c {
			delete(t.probes, key)
		}
		t.mu.Unlock()
	}
	v, _ := c.v.(T)
	return v, c.err
}

// UseCredential waits until user's credential may be sent to host and
// reserves the send, for protocols the HTTP client does not carry (SIP,
// XMPP, a login form): settle the use with the host's answer. It is
// ErrCredentialRefused after a refusal there, ErrSafetyLimit past the
// host's failure budget; a send not yet accepted waits for the one in
// flight (see authGuard.use).
func (t *Target) UseCredential(ctx context.Context, host, user string) (*CredentialUse, error) {
	u, err := t.guard.use(ctx, host, user)
	if err != nil {
		return nil, err
	}
	t.limit.credential(normHost(host))
	return u, nil
}
