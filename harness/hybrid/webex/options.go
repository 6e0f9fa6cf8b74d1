package webex

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/hybrid/ident"
)

// Option configures a Server; errors surface from New or Start.
type Option func(*config) error

// Person is one Webex identity the fake knows.
type Person struct {
	Email       string
	DisplayName string
	// Token is the bearer access token that acts as this person; empty
	// means the person cannot call the API (they can still be messaged).
	Token string
	// Hybrid says the person is enabled for the Hybrid Message service:
	// 1:1 messages to them are handed to the Bridge as well.
	Hybrid bool
}

// Bridge receives every 1:1 message sent to a person enabled for Hybrid
// Message (the connector's Webex side). An error is recorded (see
// Bridged); the Webex message itself stands.
type Bridge func(ctx context.Context, m Message) error

type config struct {
	httpx.Fake
	clock       func() time.Time
	people      []Person
	groups      map[string][]string // room ID → member emails
	bridge      Bridge
	maxMessages int
	rejectAll   bool
	statusRules []httpx.StatusRule
	retryAfter  time.Duration
	idleAfter   time.Duration
}

func defaultConfig() config {
	return config{
		Fake:        httpx.Fake{Addr: "127.0.0.1:0", Hostname: "webexapis.com"},
		clock:       time.Now,
		groups:      map[string][]string{},
		maxMessages: 10000,
		retryAfter:  60 * time.Second,
		idleAfter:   10 * time.Minute,
	}
}

// WithPeople adds Webex identities; emails must be valid and unique
// (compared as ident.EmailKey does), tokens unique.
func WithPeople(people ...Person) Option {
	return func(c *config) error {
		for _, p := range people {
			k, err := ident.EmailKey(p.Email)
			if err != nil {
				return err
			}
			for _, q := range c.people {
				if ident.SameEmail(q.Email, p.Email) {
					return fmt.Errorf("duplicate person %q", k)
				}
				if p.Token != "" && q.Token == p.Token {
					return fmt.Errorf("token of %q is also %q's", p.Email, q.Email)
				}
			}
			c.people = append(c.people, p)
		}
		return nil
	}
}

// WithGroupRoom adds a group space with the given members: messages to it
// are stored and never bridged (Hybrid Message is 1:1 only).
func WithGroupRoom(roomID string, members ...string) Option {
	return func(c *config) error {
		if roomID == "" || strings.ContainsAny(roomID, "/?#") {
			return fmt.Errorf("bad room ID %q", roomID)
		}
		c.groups[roomID] = append([]string(nil), members...)
		return nil
	}
}

// WithBridge sets where 1:1 messages to Hybrid Message users go; default
// nowhere.
func WithBridge(b Bridge) Option {
	return func(c *config) error { c.bridge = b; return nil }
}

// WithClock sets the clock; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithMaxMessages caps the messages kept (oldest dropped); default 10000.
func WithMaxMessages(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("max messages %d", n)
		}
		c.maxMessages = n
		return nil
	}
}

// WithIdleAfter sets how long after a person's last activity
// /v1/people reports them "inactive"; default 10 minutes.
func WithIdleAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("idle after %v", d)
		}
		c.idleAfter = d
		return nil
	}
}

// WithAddr sets Start's listen address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { return c.SetAddr(addr) }
}

// WithCertificate sets Start's certificate; required by Start only.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error { return c.SetCertificate(cert) }
}

// RejectBearer is a fault: every request answers 401, whatever token it
// carries.
func RejectBearer() Option {
	return func(c *config) error { c.rejectAll = true; return nil }
}

// WithStatus is a fault: paths starting with pathPrefix answer code (with
// Retry-After on 429 and 503). The first matching rule wins.
func WithStatus(pathPrefix string, code int) Option {
	return func(c *config) error {
		if code < 100 || code > 599 {
			return fmt.Errorf("bad status code %d", code)
		}
		if !strings.HasPrefix(pathPrefix, "/") {
			return fmt.Errorf("path prefix %q does not start with /", pathPrefix)
		}
		c.statusRules = append(c.statusRules, httpx.StatusRule{Prefix: pathPrefix, Code: code})
		return nil
	}
}
