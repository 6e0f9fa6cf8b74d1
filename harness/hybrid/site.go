package hybrid

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/hybrid/webex"
)

// TestUser is one user the probes drive, with both identities.
type TestUser struct {
	// Name is the label fault options and Roles use ("alice").
	Name         string
	UserID       string
	JID          string
	DirectoryURI string
	// Email is the Webex identity; Token its bearer token.
	Email string
	Token string
	// IMP and Hybrid are the enablement on each side.
	IMP, Hybrid bool
	// WebexOnly users have no IM&P entry (HYB-05's new address).
	WebexOnly bool

	noWebex bool
}

// Roles say which test users each probe uses (names of TestUsers, except
// Unmapped, a JID).
type Roles struct {
	// Sender sends and receives in every route probe (JID = email).
	Sender string
	// Peer is HYB-03's partner and HYB-06's and HYB-11's (JID = email).
	Peer string
	// JIDNotEmail has a JID that is not their email (HYB-04).
	JIDNotEmail string
	// CaseOnly has a Directory URI that differs from their Webex email in
	// case only (HYB-14).
	CaseOnly string
	// Mover changes Directory URI to MoveTo's email (HYB-05).
	Mover, MoveTo string
	// Watched are two users whose Webex presence HYB-07 watches; they
	// must have no activity before it runs.
	Watched [2]string
	// Unmapped is the JID of an IM&P user the connector cannot map (no
	// Webex identity) (HYB-13).
	Unmapped string
}

// DefaultRoles fit DefaultTestUsers.
func DefaultRoles() Roles {
	return Roles{Sender: "alice", Peer: "dave", JIDNotEmail: "bob", CaseOnly: "carol", Mover: "frank", MoveTo: "frank.new",
		Watched: [2]string{"gina", "hank"}, Unmapped: "kim@example.com"}
}

// DefaultTestUsers is the embedded site's cast: one IM&P cluster with the
// UserID@Default_Domain scheme and default domain example.com, so JIDs
// equal emails unless the user ID differs from the local part (bob).
func DefaultTestUsers() []TestUser {
	u := func(name, uid, uri, email string) TestUser {
		return TestUser{Name: name, UserID: uid, JID: uid + "@example.com", DirectoryURI: uri, Email: email,
			Token: "token-" + name, IMP: true, Hybrid: true}
	}
	newFrank := TestUser{Name: "frank.new", Email: "frank.new@example.com", Token: "token-frank.new", Hybrid: true, WebexOnly: true}
	return []TestUser{
		u("alice", "alice", "alice@example.com", "alice@example.com"),
		u("bob", "bsmith", "bob.smith@example.com", "bob.smith@example.com"),
		u("carol", "carol", "Carol@Example.COM", "carol@example.com"),
		u("dave", "dave", "dave@example.com", "dave@example.com"),
		u("erin", "erin", "erin@example.com", "erin@example.com"),
		u("frank", "frank", "frank.old@example.com", "frank.old@example.com"),
		newFrank,
		u("gina", "gina", "gina@example.com", "gina@example.com"),
		u("hank", "hank", "hank@example.com", "hank@example.com"),
		u("ivan", "ivan", "ivan@example.com", "ivan@example.com"),
	}
}

// siteFixtures are directory users that are not test users: kim is
// enabled for IM and Presence with a Directory URI no Webex identity has.
func siteFixtures() []User {
	return []User{{UserID: "kim", JID: "kim@example.com", DirectoryURI: "kim@example.com", Enabled: true}}
}

type siteData struct {
	users    []TestUser
	topology Topology
}

func (d *siteData) user(name string) (*TestUser, error) {
	for i := range d.users {
		if d.users[i].Name == name {
			return &d.users[i], nil
		}
	}
	return nil, fmt.Errorf("no test user %q", name)
}

// Site is the embedded Hybrid Messaging site: IM&P (MemoryIMP), the
// Webex fake (an http.Handler for /v1/), the connector between them, the
// test users and the topology, all on one manual Clock.
type Site struct {
	Clock     *Clock
	IMP       *MemoryIMP
	Webex     *webex.Server
	Connector *Connector
	Users     []TestUser
	Roles     Roles
	Topology  Topology
}

// NewSite builds the site; every fault option applies.
func NewSite(opts ...Option) (*Site, error) {
	cfg, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	d := siteData{users: cfg.users, topology: DefaultTopology()}
	if d.users == nil {
		d.users = DefaultTestUsers()
	}
	if cfg.topology != nil {
		d.topology = *cfg.topology
	}
	for _, f := range cfg.data {
		if err := f(&d); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrOption, err)
		}
	}
	clk := NewClock(cfg.start)
	cfg.clock = clk.Now
	var dir []User
	var people []webex.Person
	for _, u := range d.users {
		if !u.WebexOnly {
			dir = append(dir, User{UserID: u.UserID, JID: u.JID, DirectoryURI: u.DirectoryURI, Enabled: u.IMP})
		}
		if !u.noWebex {
			people = append(people, webex.Person{Email: u.Email, DisplayName: u.Name, Token: u.Token, Hybrid: u.Hybrid})
		}
	}
	dir = append(dir, siteFixtures()...)
	imp, err := NewMemoryIMP(clk.Now, dir...)
	if err != nil {
		return nil, err
	}
	s := &Site{Clock: clk, IMP: imp, Users: d.users, Roles: DefaultRoles(), Topology: d.topology}
	var conn *Connector
	wx, err := webex.New(webex.WithClock(clk.Now), webex.WithPeople(people...),
		webex.WithGroupRoom("hybrid-group", "alice@example.com", "dave@example.com"),
		webex.WithBridge(func(ctx context.Context, m webex.Message) error { return conn.FromWebex(ctx, m) }))
	if err != nil {
		return nil, fmt.Errorf("hybrid: site: %w", err)
	}
	conn, err = newConnector(imp, WebexServer{S: wx}, cfg)
	if err != nil {
		return nil, err
	}
	imp.Attach(conn)
	s.Webex, s.Connector = wx, conn
	return s, nil
}

// User returns the test user called name.
func (s *Site) User(name string) (TestUser, bool) {
	for _, u := range s.Users {
		if u.Name == name {
			return u, true
		}
	}
	return TestUser{}, false
}

// Close closes the connector and the Webex fake (which reports requests
// it does not implement); it is idempotent.
func (s *Site) Close() error {
	return errors.Join(s.Connector.Close(), s.Webex.Close())
}

// Env returns the probe environment for this site; wc must reach the
// site's Webex handler.
func (s *Site) Env(wc *webex.Client) Env {
	return Env{
		Jabber:    s.IMP,
		Directory: s.IMP,
		Webex:     wc,
		Connector: s.Connector,
		Hybrid: func(_ context.Context, email string) (bool, bool, error) {
			on, err := s.Webex.Hybrid(email)
			if errors.Is(err, webex.ErrUnknownPerson) {
				return false, false, nil
			}
			return err == nil, on, err
		},
		ChangeDirectoryURI: func(_ context.Context, jid, uri string) error { return s.IMP.SetDirectoryURI(jid, uri) },
		Touch:              func(_ context.Context, email string) error { return s.Webex.Touch(email) },
		Now:                s.Clock.Now,
		Advance:            s.Clock.Advance,
		Users:              s.Users,
		Roles:              s.Roles,
		Topology:           s.Topology,
	}
}

// Topology is what HYB-09 holds to the Hybrid Message Service deployment
// guide's limits.
type Topology struct {
	// OrgUsers is the number of users enabled for Hybrid Message.
	OrgUsers          int
	ConnectorClusters []ConnectorCluster
}

// ConnectorCluster is one Expressway-C cluster running the connector.
type ConnectorCluster struct {
	Name string
	// Nodes in the cluster (1 to 6).
	Nodes int
	// MRA says the connector is co-resident on an MRA Expressway.
	MRA bool
	// IMPClusters it serves (by publisher FQDN).
	IMPClusters []string
	// Users it carries.
	Users int
}

// Scale limits (Hybrid Message Service deployment guide).
const (
	MaxOrgUsers           = 195000
	MaxIMPPerConnector    = 5
	MaxNodes              = 6
	UsersPerLargeNode     = 15000
	UsersPerLargeCluster  = 75000
	UsersPerMRANode       = 100
	UsersPerMRACluster    = 500
	maxConnectorsPerIMPCl = 1
)

// DefaultTopology is the embedded site's: one two-node connector cluster
// for its one IM&P cluster.
func DefaultTopology() Topology {
	return Topology{OrgUsers: 10, ConnectorClusters: []ConnectorCluster{
		{Name: "expc-hm.example.com", Nodes: 2, IMPClusters: []string{"imp.example.com"}, Users: 10}}}
}

// Violations lists every limit the topology breaks.
func (t Topology) Violations() []string {
	var out []string
	if t.OrgUsers > MaxOrgUsers {
		out = append(out, fmt.Sprintf("%d Hybrid Message users in the organisation, at most %d", t.OrgUsers, MaxOrgUsers))
	}
	served := map[string][]string{}
	for _, cc := range t.ConnectorClusters {
		if len(cc.IMPClusters) > MaxIMPPerConnector {
			out = append(out, fmt.Sprintf("connector cluster %s serves %d IM&P clusters, at most %d", cc.Name, len(cc.IMPClusters), MaxIMPPerConnector))
		}
		if cc.Nodes < 1 || cc.Nodes > MaxNodes {
			out = append(out, fmt.Sprintf("connector cluster %s has %d nodes (1 to %d)", cc.Name, cc.Nodes, MaxNodes))
		}
		limit := min(cc.Nodes*UsersPerLargeNode, UsersPerLargeCluster)
		if cc.MRA {
			limit = min(cc.Nodes*UsersPerMRANode, UsersPerMRACluster)
		}
		if cc.Users > limit {
			out = append(out, fmt.Sprintf("connector cluster %s carries %d users, at most %d for %d nodes", cc.Name, cc.Users, limit, cc.Nodes))
		}
		for _, imp := range cc.IMPClusters {
			k := strings.ToLower(imp)
			served[k] = append(served[k], cc.Name)
		}
	}
	for imp, ccs := range served {
		if len(ccs) > maxConnectorsPerIMPCl {
			out = append(out, fmt.Sprintf("IM&P cluster %s is served by %d connector clusters (%s), at most one", imp, len(ccs), strings.Join(ccs, ", ")))
		}
	}
	return out
}
