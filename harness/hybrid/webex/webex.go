// Package webex fakes the part of the Webex REST API that Hybrid Messaging
// checks touch: Messages (POST /v1/messages with toPersonEmail, GET
// /v1/messages/direct) and People (GET /v1/people?email=, /v1/people/me),
// with bearer authentication, and hands every 1:1 message to a person
// enabled for Hybrid Message to a Bridge (the connector). It holds the
// matching client. The Server is an http.Handler that does not listen; it
// owns the /v1/ prefix. See README.md.
package webex

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/hybrid/ident"
)

const (
	// MaxText is the longest text or markdown a message may have (bytes),
	// as the Messages API documents.
	MaxText = 7439

	// ErrUnexpected is returned by Close when the fake saw requests it
	// does not implement.
	ErrUnexpected = httpx.Sentinel("webex: unexpected requests")
	// ErrUnknownPerson is returned by the in-process API for an email no
	// Person has.
	ErrUnknownPerson = httpx.Sentinel("webex: unknown person")
	// ErrSyntax is wrapped by every error of the response parsers.
	ErrSyntax = httpx.Sentinel("webex: bad response")
)

// Message is a Webex message, with the Messages API's JSON names.
type Message struct {
	ID            string    `json:"id"`
	RoomID        string    `json:"roomId"`
	RoomType      string    `json:"roomType"`
	ParentID      string    `json:"parentId,omitempty"`
	ToPersonID    string    `json:"toPersonId,omitempty"`
	ToPersonEmail string    `json:"toPersonEmail,omitempty"`
	Text          string    `json:"text,omitempty"`
	Markdown      string    `json:"markdown,omitempty"`
	HTML          string    `json:"html,omitempty"`
	Files         []string  `json:"files,omitempty"`
	PersonID      string    `json:"personId"`
	PersonEmail   string    `json:"personEmail"`
	Created       time.Time `json:"created"`
}

// PersonInfo is a Person as /v1/people returns it.
type PersonInfo struct {
	ID           string    `json:"id"`
	Emails       []string  `json:"emails"`
	DisplayName  string    `json:"displayName,omitempty"`
	Status       string    `json:"status"`
	LastActivity time.Time `json:"lastActivity,omitzero"`
	Created      time.Time `json:"created,omitzero"`
}

// BridgeEvent records one hand-over to the Bridge.
type BridgeEvent struct {
	Message Message
	Err     string
}

// Request is one request the fake received (no Authorization values).
type Request = httpx.Request

// Server is a Webex API fake.
type Server struct {
	cfg config
	rec httpx.Recorder

	mu       sync.Mutex
	people   []*personState
	messages []Message
	bridged  []BridgeEvent
	seq      int
	http     *httpx.Serving
}

type personState struct {
	Person
	key      string
	id       string
	created  time.Time
	activity []time.Time // ascending
	status   string      // set explicitly; "" = from activity
}

// New validates opts and returns the fake (it does not listen).
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("webex: option: %w", err)
		}
	}
	s := &Server{cfg: cfg}
	now := cfg.clock()
	for _, p := range cfg.people {
		k, _ := ident.EmailKey(p.Email)
		s.people = append(s.people, &personState{Person: p, key: k, id: personID(k), created: now})
	}
	return s, nil
}

// Start is New plus a TLS listener (WithCertificate required), for
// standalone tests.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("webex: start: %w", err)
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if s.cfg.Cert == nil {
		return nil, errors.New("webex: option: WithCertificate is required by Start")
	}
	hs, err := httpx.ServeTLS(s.cfg.Addr, *s.cfg.Cert, s)
	if err != nil {
		return nil, fmt.Errorf("webex: listen: %w", err)
	}
	s.http = hs
	return s, nil
}

// Addr is Start's bound address ("" after New).
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

// Close stops Start's listener; it is idempotent. It reports
// ErrUnexpected if the fake answered paths or methods it does not have.
func (s *Server) Close() error {
	if s.http != nil {
		if err := s.http.Close(); err != nil {
			return fmt.Errorf("webex: close: %w", err)
		}
	}
	return s.rec.Err(ErrUnexpected)
}

// Received returns the requests so far, oldest first.
func (s *Server) Received() []Request { return s.rec.Received() }

// Bridged returns the hand-overs to the Bridge so far, oldest first.
func (s *Server) Bridged() []BridgeEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BridgeEvent(nil), s.bridged...)
}

func personID(key string) string {
	h := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("ciscospark://us/PEOPLE/%x", h[:16])))
}

func directRoomID(a, b string) string {
	if a > b {
		a, b = b, a
	}
	h := sha256.Sum256([]byte(a + "\x00" + b))
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("ciscospark://us/ROOM/%x", h[:16])))
}

func (s *Server) findLocked(emailOrID string) *personState {
	k, err := ident.EmailKey(emailOrID)
	for _, p := range s.people {
		if (err == nil && p.key == k) || p.id == emailOrID {
			return p
		}
	}
	return nil
}

func (s *Server) byToken(tok string) *personState {
	for _, p := range s.people {
		if p.Token != "" && p.Token == tok {
			return p
		}
	}
	return nil
}

// Touch records activity by email's person at the fake's clock (a user
// active in the Webex App).
func (s *Server) Touch(email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(email)
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPerson, email)
	}
	p.touch(s.cfg.clock())
	return nil
}

func (p *personState) touch(t time.Time) {
	i := sort.Search(len(p.activity), func(i int) bool { return p.activity[i].After(t) })
	p.activity = append(p.activity, time.Time{})
	copy(p.activity[i+1:], p.activity[i:])
	p.activity[i] = t
	if len(p.activity) > 1024 {
		p.activity = p.activity[len(p.activity)-1024:]
	}
}

// LastActivity returns email's person's last activity at or before t: what
// a poll at t sees.
func (s *Server) LastActivity(email string, t time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(email)
	if p == nil {
		return time.Time{}, false
	}
	i := sort.Search(len(p.activity), func(i int) bool { return p.activity[i].After(t) })
	if i == 0 {
		return time.Time{}, false
	}
	return p.activity[i-1], true
}

// SetStatus sets the status /v1/people reports for email's person, as if
// something pushed presence into Webex; "" returns to the status derived
// from activity. Hybrid Message never does this (presence flows Webex to
// Jabber only); a faulty connector does.
func (s *Server) SetStatus(email, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(email)
	if p == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPerson, email)
	}
	p.status = status
	return nil
}

// Hybrid reports whether email's person is enabled for the Hybrid Message
// service (Control Hub's entitlement; the public API does not show it).
func (s *Server) Hybrid(email string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(email)
	if p == nil {
		return false, fmt.Errorf("%w: %s", ErrUnknownPerson, email)
	}
	return p.Hybrid, nil
}

// Status is what /v1/people reports for email's person now.
func (s *Server) Status(email string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(email)
	if p == nil {
		return "", fmt.Errorf("%w: %s", ErrUnknownPerson, email)
	}
	return s.statusLocked(p), nil
}

func (s *Server) statusLocked(p *personState) string {
	if p.status != "" {
		return p.status
	}
	if n := len(p.activity); n > 0 && s.cfg.clock().Sub(p.activity[n-1]) < s.cfg.idleAfter {
		return "active"
	}
	return "inactive"
}

// Deliver is the connector's way in: a 1:1 message from one person to
// another (both must exist), stored as if the sender had posted it. It is
// not handed to the Bridge (it came from there).
func (s *Server) Deliver(from, to string, m Message) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fp, tp := s.findLocked(from), s.findLocked(to)
	if fp == nil {
		return Message{}, fmt.Errorf("%w: sender %s", ErrUnknownPerson, from)
	}
	if tp == nil {
		return Message{}, fmt.Errorf("%w: recipient %s", ErrUnknownPerson, to)
	}
	return s.storeLocked(fp, tp, m), nil
}

func (s *Server) storeLocked(from, to *personState, m Message) Message {
	s.seq++
	now := s.cfg.clock()
	m.ID = base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("ciscospark://us/MESSAGE/%08d", s.seq)))
	m.PersonID, m.PersonEmail = from.id, from.Email
	m.Created = now.UTC()
	if to != nil {
		m.RoomID, m.RoomType = directRoomID(from.key, to.key), "direct"
		m.ToPersonID, m.ToPersonEmail = to.id, to.Email
	}
	s.messages = append(s.messages, m)
	if len(s.messages) > s.cfg.maxMessages {
		s.messages = s.messages[len(s.messages)-s.cfg.maxMessages:]
	}
	return m
}

// Direct returns the 1:1 messages between a and b, oldest first.
func (s *Server) Direct(a, b string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	pa, pb := s.findLocked(a), s.findLocked(b)
	if pa == nil || pb == nil {
		return nil
	}
	return s.directLocked(pa, pb)
}

func (s *Server) directLocked(a, b *personState) []Message {
	room := directRoomID(a.key, b.key)
	var out []Message
	for _, m := range s.messages {
		if m.RoomID == room {
			out = append(out, m)
		}
	}
	return out
}

// Room returns the messages of a group room, oldest first.
func (s *Server) Room(roomID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.RoomID == roomID {
			out = append(out, m)
		}
	}
	return out
}

// apiError is the Webex API's error body.
type apiError struct {
	Message string `json:"message"`
	Errors  []struct {
		Description string `json:"description"`
	} `json:"errors"`
	TrackingID string `json:"trackingId"`
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	e := apiError{Message: msg, TrackingID: "ROUTER_FAKE_" + fmt.Sprint(code)}
	e.Errors = append(e.Errors, struct {
		Description string `json:"description"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Trackingid", e.TrackingID)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="Webex"`)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", fmt.Sprint(int(s.cfg.retryAfter.Seconds())))
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(e)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP serves /v1/messages, /v1/messages/direct, /v1/people and
// /v1/people/me.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		s.fail(w, code, http.StatusText(code))
		return
	}
	route := r.Method + " " + r.URL.Path
	switch route {
	case "POST /v1/messages", "GET /v1/messages/direct", "GET /v1/people", "GET /v1/people/me":
	default:
		s.rec.Unexpected(r)
		if strings.HasPrefix(r.URL.Path, "/v1/messages") || strings.HasPrefix(r.URL.Path, "/v1/people") {
			s.fail(w, http.StatusMethodNotAllowed, "method not supported by the fake")
			return
		}
		s.fail(w, http.StatusNotFound, "The requested resource could not be found.")
		return
	}
	me, ok := s.authenticate(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, "The request requires a valid access token set in the Authorization request header.")
		return
	}
	switch route {
	case "POST /v1/messages":
		s.postMessage(w, r, me)
	case "GET /v1/messages/direct":
		s.getDirect(w, r, me)
	case "GET /v1/people":
		s.getPeople(w, r)
	case "GET /v1/people/me":
		s.mu.Lock()
		info := s.infoLocked(me)
		s.mu.Unlock()
		writeJSON(w, info)
	}
}

func (s *Server) authenticate(r *http.Request) (*personState, bool) {
	if s.cfg.rejectAll {
		return nil, false
	}
	c, err := httpauth.ParseCredentials(r.Header.Get("Authorization"))
	if err != nil {
		return nil, false
	}
	tok, err := httpauth.BearerToken(c)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byToken(tok)
	return p, p != nil
}

// sendRequest is the body of POST /v1/messages.
type sendRequest struct {
	RoomID        string   `json:"roomId"`
	ParentID      string   `json:"parentId"`
	ToPersonID    string   `json:"toPersonId"`
	ToPersonEmail string   `json:"toPersonEmail"`
	Text          string   `json:"text"`
	Markdown      string   `json:"markdown"`
	Files         []string `json:"files"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, me *personState) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.fail(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := httpx.ReadCapped(r.Body, httpx.MaxBody)
	if err != nil {
		s.fail(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, "Unable to parse the request body: "+err.Error())
		return
	}
	targets := 0
	for _, t := range []string{req.RoomID, req.ToPersonID, req.ToPersonEmail} {
		if t != "" {
			targets++
		}
	}
	switch {
	case targets != 1:
		s.fail(w, http.StatusBadRequest, "exactly one of roomId, toPersonId and toPersonEmail is required")
		return
	case req.Text == "" && req.Markdown == "" && len(req.Files) == 0:
		s.fail(w, http.StatusBadRequest, "text, markdown or files is required")
		return
	case len(req.Text) > MaxText || len(req.Markdown) > MaxText:
		s.fail(w, http.StatusBadRequest, fmt.Sprintf("message longer than %d bytes", MaxText))
		return
	case len(req.Files) > 1:
		s.fail(w, http.StatusBadRequest, "only one file may be attached to a message")
		return
	}
	m := Message{ParentID: req.ParentID, Text: req.Text, Markdown: req.Markdown, Files: req.Files}
	s.mu.Lock()
	me.touch(s.cfg.clock())
	if req.RoomID != "" {
		members, ok := s.cfg.groups[req.RoomID]
		if !ok {
			s.mu.Unlock()
			s.fail(w, http.StatusNotFound, "Could not find a room with provided ID.")
			return
		}
		member := false
		for _, e := range members {
			member = member || ident.SameEmail(e, me.Email)
		}
		if !member {
			s.mu.Unlock()
			s.fail(w, http.StatusForbidden, "You are not a member of this room.")
			return
		}
		m.RoomID, m.RoomType = req.RoomID, "group"
		out := s.storeLocked(me, nil, m)
		s.mu.Unlock()
		writeJSON(w, out) // group spaces are never bridged
		return
	}
	to := s.findLocked(req.ToPersonEmail + req.ToPersonID)
	if to == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, "Unable to find the person to send the message to.")
		return
	}
	out := s.storeLocked(me, to, m)
	bridge := s.cfg.bridge
	hand := to.Hybrid && bridge != nil && to != me
	s.mu.Unlock()
	if hand {
		berr := bridge(r.Context(), out)
		ev := BridgeEvent{Message: out}
		if berr != nil {
			ev.Err = berr.Error()
		}
		s.mu.Lock()
		s.bridged = append(s.bridged, ev)
		if len(s.bridged) > s.cfg.maxMessages {
			s.bridged = s.bridged[1:]
		}
		s.mu.Unlock()
	}
	writeJSON(w, out)
}

func (s *Server) getDirect(w http.ResponseWriter, r *http.Request, me *personState) {
	q := r.URL.Query()
	other := q.Get("personEmail") + q.Get("personId")
	if other == "" {
		s.fail(w, http.StatusBadRequest, "personEmail or personId is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.findLocked(other)
	if p == nil {
		s.fail(w, http.StatusNotFound, "Unable to find the person.")
		return
	}
	items := s.directLocked(me, p)
	// The API lists newest first.
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	if items == nil {
		items = []Message{}
	}
	writeJSON(w, struct {
		Items []Message `json:"items"`
	}{items})
}

func (s *Server) infoLocked(p *personState) PersonInfo {
	info := PersonInfo{ID: p.id, Emails: []string{p.Email}, DisplayName: p.DisplayName, Status: s.statusLocked(p), Created: p.created.UTC()}
	if n := len(p.activity); n > 0 {
		info.LastActivity = p.activity[n-1].UTC()
	}
	return info
}

func (s *Server) getPeople(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if email == "" {
		s.fail(w, http.StatusBadRequest, "email is required by the fake")
		return
	}
	s.mu.Lock()
	items := []PersonInfo{}
	if p := s.findLocked(email); p != nil {
		items = append(items, s.infoLocked(p))
	}
	s.mu.Unlock()
	writeJSON(w, struct {
		Items []PersonInfo `json:"items"`
	}{items})
}
