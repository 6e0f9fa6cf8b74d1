package webex

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/httpx"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTest(t *testing.T, opts ...Option) (*Server, *Client, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	base := []Option{WithClock(clk.now), WithPeople(
		Person{Email: "alice@example.com", Token: "tok-alice", Hybrid: true},
		Person{Email: "Bob@Example.com", Token: "tok-bob"},
		Person{Email: "carol@example.com", Token: "tok-carol"}),
		WithGroupRoom("group-1", "alice@example.com", "bob@example.com")}
	srv, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, NewClient(hs.Client(), hs.URL), clk
}

func TestMessages(t *testing.T) {
	ctx := context.Background()
	var bridged []Message
	srv, c, _ := newTest(t, WithBridge(func(_ context.Context, m Message) error {
		bridged = append(bridged, m)
		return nil
	}))
	m, ev, err := c.Send(ctx, "tok-bob", Send{ToPersonEmail: "ALICE@example.com", Text: "hi Alice"})
	if err != nil {
		t.Fatalf("send: %v\n%s", err, ev)
	}
	if m.PersonEmail != "Bob@Example.com" || m.ToPersonEmail != "alice@example.com" || m.RoomType != "direct" || m.ID == "" {
		t.Errorf("message %+v", m)
	}
	if strings.Contains(ev.String(), "tok-bob") {
		t.Errorf("evidence has the token:\n%s", ev)
	}
	if len(bridged) != 1 || bridged[0].Text != "hi Alice" {
		t.Errorf("bridged %+v", bridged)
	}
	if _, _, err := c.Send(ctx, "tok-alice", Send{ToPersonEmail: "bob@example.com", Text: "hi Bob"}); err != nil {
		t.Fatal(err)
	}
	if len(bridged) != 1 {
		t.Errorf("a message to a non-Hybrid user was bridged: %+v", bridged)
	}
	if _, _, err := c.Send(ctx, "tok-alice", Send{RoomID: "group-1", Text: "hi all"}); err != nil {
		t.Fatal(err)
	}
	if len(bridged) != 1 || len(srv.Room("group-1")) != 1 {
		t.Errorf("group message bridged or lost: %+v", bridged)
	}
	list, _, err := c.Direct(ctx, "tok-alice", "bob@example.com")
	if err != nil || len(list) != 2 || list[0].Text != "hi Bob" {
		t.Fatalf("direct list %+v, %v", list, err)
	}
	if len(srv.Bridged()) != 1 {
		t.Errorf("Bridged() = %+v", srv.Bridged())
	}
}

func TestRejections(t *testing.T) {
	ctx := context.Background()
	_, c, _ := newTest(t)
	for _, tc := range []struct {
		name  string
		token string
		send  Send
		code  int
	}{
		{"no token", "", Send{ToPersonEmail: "bob@example.com", Text: "x"}, 401},
		{"bad token", "nope", Send{ToPersonEmail: "bob@example.com", Text: "x"}, 401},
		{"no recipient", "tok-alice", Send{Text: "x"}, 400},
		{"two recipients", "tok-alice", Send{ToPersonEmail: "bob@example.com", RoomID: "group-1", Text: "x"}, 400},
		{"empty", "tok-alice", Send{ToPersonEmail: "bob@example.com"}, 400},
		{"too long", "tok-alice", Send{ToPersonEmail: "bob@example.com", Text: strings.Repeat("x", MaxText+1)}, 400},
		{"two files", "tok-alice", Send{ToPersonEmail: "bob@example.com", Files: []string{"https://a.example.com/1", "https://a.example.com/2"}}, 400},
		{"unknown person", "tok-alice", Send{ToPersonEmail: "dave@example.com", Text: "x"}, 404},
		{"not a member", "tok-carol", Send{RoomID: "group-1", Text: "x"}, 403},
	} {
		_, ev, err := c.Send(ctx, tc.token, tc.send)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != tc.code || !errors.Is(err, httpx.ErrStatus) || se.Message == "" {
			t.Errorf("%s: %v (%+v), want %d with a message\n%s", tc.name, err, se, tc.code, ev)
		}
		if tc.code == 401 && se != nil && se.WWWAuthenticate == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.name)
		}
	}
}

func TestPresenceAndActivity(t *testing.T) {
	ctx := context.Background()
	srv, c, clk := newTest(t)
	p, ok, _, err := c.Person(ctx, "tok-bob", "alice@example.com")
	if err != nil || !ok || p.Status != "inactive" {
		t.Fatalf("before activity: %+v %v %v", p, ok, err)
	}
	t0 := clk.now()
	if _, _, err := c.Send(ctx, "tok-alice", Send{ToPersonEmail: "bob@example.com", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if p, _, _, _ = c.Person(ctx, "tok-bob", "alice@example.com"); p.Status != "active" || !p.LastActivity.Equal(t0) {
		t.Errorf("after a message: %+v", p)
	}
	clk.add(10 * time.Minute)
	if p, _, _, _ = c.Person(ctx, "tok-bob", "alice@example.com"); p.Status != "inactive" {
		t.Errorf("10 min later: %+v", p)
	}
	if _, ok := srv.LastActivity("alice@example.com", t0.Add(-time.Second)); ok {
		t.Error("activity seen before it happened")
	}
	if at, ok := srv.LastActivity("alice@example.com", t0.Add(time.Minute)); !ok || !at.Equal(t0) {
		t.Errorf("LastActivity = %v %v", at, ok)
	}
	srv.SetStatus("alice@example.com", "DoNotDisturb")
	if p, _, _, _ = c.Person(ctx, "tok-bob", "alice@example.com"); p.Status != "DoNotDisturb" {
		t.Errorf("pushed status: %+v", p)
	}
	if _, ok, _, err := c.Person(ctx, "tok-bob", "nobody@example.com"); ok || err != nil {
		t.Errorf("unknown person: %v %v", ok, err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	_, c, _ := newTest(t, RejectBearer())
	if _, _, err := c.Send(ctx, "tok-alice", Send{ToPersonEmail: "bob@example.com", Text: "x"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("RejectBearer: %v", err)
	}
	_, c, _ = newTest(t, WithStatus("/v1/messages", 429))
	_, _, err := c.Send(ctx, "tok-alice", Send{ToPersonEmail: "bob@example.com", Text: "x"})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 429 || se.RetryAfter == "" {
		t.Errorf("WithStatus 429: %v", err)
	}
	srv, c, _ := newTest(t)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/v1/rooms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || !errors.Is(srv.Close(), ErrUnexpected) {
		t.Errorf("unexpected path: %d, Close %v", resp.StatusCode, srv.Close())
	}
	_ = c
	if _, err := New(WithPeople(Person{Email: "a@example.com"}, Person{Email: "A@example.com"})); err == nil {
		t.Error("duplicate people accepted")
	}
}

func TestDeliver(t *testing.T) {
	srv, c, _ := newTest(t)
	if _, err := srv.Deliver("bob@example.com", "alice@example.com", Message{Text: "from Jabber"}); err != nil {
		t.Fatal(err)
	}
	list, _, err := c.Direct(context.Background(), "tok-alice", "bob@example.com")
	if err != nil || len(list) != 1 || list[0].Text != "from Jabber" || list[0].PersonEmail != "Bob@Example.com" {
		t.Errorf("%+v %v", list, err)
	}
	if _, err := srv.Deliver("nobody@example.com", "alice@example.com", Message{Text: "x"}); !errors.Is(err, ErrUnknownPerson) {
		t.Errorf("unknown sender: %v", err)
	}
}
