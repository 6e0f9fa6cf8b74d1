package hybrid

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/hybrid/webex"
)

func TestConnectorDirections(t *testing.T) {
	ctx := context.Background()
	s, env := startSite(t)
	alice, _ := s.User("alice")
	bob, _ := s.User("bob")
	// Jabber to Webex from a JID that is not the email.
	if err := s.IMP.Send(ctx, Message{ID: "1", From: bob.JID, To: alice.JID, Type: TypeChat, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	got := s.Webex.Direct(alice.Email, bob.Email)
	if len(got) != 1 || got[0].PersonEmail != bob.Email || got[0].Text != "hi" {
		t.Fatalf("Webex space %+v", got)
	}
	// Webex to Jabber with a file: a link.
	if _, _, err := env.Webex.Send(ctx, alice.Token, webex.Send{ToPersonEmail: bob.Email, Text: "see", Files: []string{"https://files.example.com/x.pdf"}}); err != nil {
		t.Fatal(err)
	}
	in := s.IMP.Inbox(bob.JID)
	last := in[len(in)-1]
	if last.From != alice.JID || last.Body != "see\nhttps://files.example.com/x.pdf" {
		t.Errorf("bob's inbox %+v", in)
	}
	// Group chat refused with a report.
	_ = s.IMP.Send(ctx, Message{ID: "g", From: alice.JID, To: "room@conference.example.com", Type: TypeGroupChat, Body: "all"})
	in = s.IMP.Inbox(alice.JID)
	if last := in[len(in)-1]; last.Type != TypeError || last.ID != "g" || !strings.Contains(last.Error, "group chat") {
		t.Errorf("report %+v", last)
	}
	var refused int
	for _, ev := range s.Connector.Received() {
		if !ev.Bridged {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("events %+v", s.Connector.Received())
	}
}

func TestConnectorSyncAndPresence(t *testing.T) {
	ctx := context.Background()
	s, _ := startSite(t)
	frank, _ := s.User("frank")
	gina, _ := s.User("gina")
	if u, err := s.Connector.Lookup(ctx, frank.Email); err != nil || u.JID != frank.JID {
		t.Fatalf("lookup %+v %v", u, err)
	}
	s.Clock.Advance(3 * time.Minute)
	if err := s.IMP.SetDirectoryURI(frank.JID, "frank.new@example.com"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(6 * time.Minute) // 9 min after start: no sync since
	if _, err := s.Connector.Lookup(ctx, "frank.new@example.com"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("change seen before the sync: %v", err)
	}
	s.Clock.Advance(time.Minute) // the 10-minute sync
	if u, err := s.Connector.Lookup(ctx, "frank.new@example.com"); err != nil || u.JID != frank.JID {
		t.Errorf("change not seen at the sync: %+v %v", u, err)
	}
	// Presence: active at 09:10:01; the 09:10 poll misses it, the 09:20
	// one sees it; by the 09:30 poll it is 20 minutes old: away; after 72
	// hours offline.
	s.Clock.Advance(time.Second)
	_ = s.Webex.Touch(gina.Email)
	for _, tc := range []struct {
		after time.Duration
		show  string
	}{{9 * time.Minute, "offline"}, {time.Minute, "available"}, {10 * time.Minute, "away"}, {72 * time.Hour, "offline"}} {
		s.Clock.Advance(tc.after)
		p, err := s.Connector.Presence(ctx, gina.JID)
		if err != nil || p.Show != tc.show {
			t.Errorf("at %s: %+v %v, want %s", s.Clock.Now().Format(time.Kitchen), p, err, tc.show)
		}
	}
}

func TestOptions(t *testing.T) {
	imp, _ := NewMemoryIMP(nil)
	wx, _ := webex.New()
	if _, err := NewConnector(imp, WebexServer{S: wx}, UserWithoutEmail("alice")); !errors.Is(err, ErrOption) {
		t.Errorf("site option on a connector: %v", err)
	}
	if _, err := NewConnector(imp, WebexServer{S: wx}, DirectorySyncInterval(0)); !errors.Is(err, ErrOption) {
		t.Errorf("zero interval: %v", err)
	}
	if _, err := NewSite(UserWithoutEmail("nobody")); !errors.Is(err, ErrOption) {
		t.Errorf("unknown user: %v", err)
	}
	c, err := NewConnector(imp, WebexServer{S: wx})
	if err != nil || c.Close() != nil || c.Close() != nil {
		t.Errorf("close: %v", err)
	}
}

func TestTopology(t *testing.T) {
	tp := Topology{OrgUsers: 200000, ConnectorClusters: []ConnectorCluster{
		{Name: "a", Nodes: 6, IMPClusters: []string{"imp1", "imp2"}, Users: 80000},
		{Name: "b", Nodes: 2, MRA: true, IMPClusters: []string{"IMP1"}, Users: 300},
	}}
	v := tp.Violations()
	if len(v) != 4 {
		t.Errorf("violations %q", v)
	}
	if v := DefaultTopology().Violations(); len(v) != 0 {
		t.Errorf("default topology: %q", v)
	}
}
