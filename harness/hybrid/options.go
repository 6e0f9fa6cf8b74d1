package hybrid

import (
	"fmt"
	"time"
)

// Option configures a Connector or a Site. Connector options work on
// both; site options (test users and their data faults) only on NewSite.
type Option func(*config) error

type config struct {
	clock            func() time.Time
	syncInterval     time.Duration
	presenceInterval time.Duration
	availableFor     time.Duration
	awayFor          time.Duration

	// connector faults
	jidAsEmail, caseSensitive                              bool
	groupChatSilent, filesSilent, richTextSilent, unrouted bool
	dropWebexFiles, pushPresence, oneWay                   bool

	// site
	site     bool // an option only a Site takes was given
	start    time.Time
	users    []TestUser
	data     []func(*siteData) error
	topology *Topology
}

func defaultConfig() config {
	return config{
		clock:            time.Now,
		syncInterval:     10 * time.Minute,
		presenceInterval: 10 * time.Minute,
		availableFor:     10 * time.Minute,
		awayFor:          72 * time.Hour,
		start:            time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
	}
}

func applyOptions(opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, fmt.Errorf("%w: %v", ErrOption, err)
		}
	}
	return c, nil
}

// WithClock sets the connector's clock; default time.Now (a Site uses its
// own Clock).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithStart sets the Site clock's start; default 2026-03-02 09:00 UTC.
func WithStart(t time.Time) Option {
	return func(c *config) error { c.site, c.start = true, t; return nil }
}

// WithTestUsers replaces the Site's test users (DefaultTestUsers).
func WithTestUsers(users ...TestUser) Option {
	return func(c *config) error {
		c.site = true
		c.users = append([]TestUser(nil), users...)
		return nil
	}
}

// WithTopology sets the Site's topology for HYB-09; default
// DefaultTopology.
func WithTopology(t Topology) Option {
	return func(c *config) error { c.site, c.topology = true, &t; return nil }
}

// DirectorySyncInterval is how often the connector syncs JIDs and
// Directory URIs from IM&P; default 10 minutes, which is how soon the
// Hybrid Message Service deployment guide says an email change is seen.
// A longer interval is a fault (HYB-05).
func DirectorySyncInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("sync interval %v", d)
		}
		c.syncInterval = d
		return nil
	}
}

// PresencePollInterval is how often the connector polls Webex presence;
// default 10 minutes. A longer interval is a fault (HYB-07).
func PresencePollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("presence interval %v", d)
		}
		c.presenceInterval = d
		return nil
	}
}

// JIDAsEmail is a fault: the connector takes a JID for the email and an
// email for the JID, ignoring the Directory URI mapping, so users whose
// JID differs from their email are lost (HYB-04, HYB-05).
func JIDAsEmail() Option { return func(c *config) error { c.jidAsEmail = true; return nil } }

// CaseSensitiveEmail is a fault: the connector compares emails byte for
// byte, so a Directory URI that differs from the Webex email only in case
// does not route (HYB-14).
func CaseSensitiveEmail() Option { return func(c *config) error { c.caseSensitive = true; return nil } }

// BridgeGroupChatSilently is a fault: group chat is swallowed with no
// report to the sender, instead of being refused as not bridged (HYB-06).
func BridgeGroupChatSilently() Option {
	return func(c *config) error { c.groupChatSilent = true; return nil }
}

// DropFilesSilently is a fault: a file sent from Jabber to Webex vanishes
// with no report to the sender (HYB-06).
func DropFilesSilently() Option { return func(c *config) error { c.filesSilent = true; return nil } }

// DropRichTextSilently is a fault: a rich-text (XHTML-IM) message from
// Jabber is dropped with no report, instead of bridged as plain text with
// a notice (HYB-06).
func DropRichTextSilently() Option {
	return func(c *config) error { c.richTextSilent = true; return nil }
}

// DropUnroutableSilently is a fault: a message the connector cannot map
// is dropped with no report to the sender (HYB-13).
func DropUnroutableSilently() Option { return func(c *config) error { c.unrouted = true; return nil } }

// DropWebexFileLinks is a fault: a file sent from Webex reaches Jabber
// without its link (HYB-11).
func DropWebexFileLinks() Option {
	return func(c *config) error { c.dropWebexFiles = true; return nil }
}

// PushJabberPresence is a fault: Jabber presence is pushed into Webex,
// which the service never does (HYB-07).
func PushJabberPresence() Option { return func(c *config) error { c.pushPresence = true; return nil } }

// OneWayBridge is a fault: Jabber to Webex works but nothing comes back
// (the connector cannot deliver to IM&P), so no reply reaches a JID
// (HYB-03, HYB-04, HYB-11, HYB-14).
func OneWayBridge() Option { return func(c *config) error { c.oneWay = true; return nil } }

// Data faults: they change a Site's directory or Webex identities.

// UserWithoutEmail is a fault: the named test user has no Directory URI
// (LDAP mail never synced) (HYB-02).
func UserWithoutEmail(name string) Option {
	return dataFault(func(d *siteData) error {
		u, err := d.user(name)
		if err != nil {
			return err
		}
		u.DirectoryURI = ""
		return nil
	})
}

// DirectoryURIMismatch is a fault: the named test user's Directory URI is
// uri, not their Webex email (HYB-01).
func DirectoryURIMismatch(name, uri string) Option {
	return dataFault(func(d *siteData) error {
		u, err := d.user(name)
		if err != nil {
			return err
		}
		u.DirectoryURI = uri
		return nil
	})
}

// DuplicateEmail is a fault: the named test user's Directory URI is
// other's email, so two users claim it (HYB-10).
func DuplicateEmail(name, other string) Option {
	return dataFault(func(d *siteData) error {
		u, err := d.user(name)
		if err != nil {
			return err
		}
		o, err := d.user(other)
		if err != nil {
			return err
		}
		u.DirectoryURI = o.Email
		return nil
	})
}

// Side says which side a one-sided enablement lacks.
type Side int

// Sides.
const (
	// SideIMP: the user is not enabled for IM and Presence.
	SideIMP Side = iota
	// SideWebex: the Webex identity is not entitled to Hybrid Message.
	SideWebex
)

// OneSidedEnablement is a fault: the named test user is enabled on one
// side only (HYB-08).
func OneSidedEnablement(name string, missing Side) Option {
	return dataFault(func(d *siteData) error {
		u, err := d.user(name)
		if err != nil {
			return err
		}
		switch missing {
		case SideIMP:
			u.IMP = false
		case SideWebex:
			u.Hybrid = false
		default:
			return fmt.Errorf("side %d", missing)
		}
		return nil
	})
}

// MissingWebexIdentity is a fault: the named test user has no Webex
// identity at all (HYB-12).
func MissingWebexIdentity(name string) Option {
	return dataFault(func(d *siteData) error {
		u, err := d.user(name)
		if err != nil {
			return err
		}
		u.noWebex = true
		return nil
	})
}

// OversizedTopology is a fault: six IM&P clusters share one connector
// cluster, over the limit of five (HYB-09).
func OversizedTopology() Option {
	return dataFault(func(d *siteData) error {
		cc := &d.topology.ConnectorClusters[0]
		for len(cc.IMPClusters) < 6 {
			cc.IMPClusters = append(cc.IMPClusters, fmt.Sprintf("imp-extra-%d.example.com", len(cc.IMPClusters)))
		}
		return nil
	})
}

func dataFault(f func(*siteData) error) Option {
	return func(c *config) error {
		c.site = true
		c.data = append(c.data, f)
		return nil
	}
}
