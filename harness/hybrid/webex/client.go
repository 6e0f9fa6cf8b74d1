package webex

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/httpx"
)

// DefaultBase is the Webex API's base URL.
const DefaultBase = "https://webexapis.com"

// Evidence records one client exchange (the token is never kept).
type Evidence = httpx.Evidence

// StatusError is a non-2xx reply; Message is the API's error message.
type StatusError struct {
	httpx.StatusError
	Message    string
	RetryAfter string
}

func (e *StatusError) Error() string {
	s := e.StatusError.Error()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter != "" {
		s += " (Retry-After: " + e.RetryAfter + ")"
	}
	return s
}

// Unwrap makes errors.Is(err, httpx.ErrStatus) true.
func (e *StatusError) Unwrap() error { return &e.StatusError }

// Client calls the Webex Messages and People APIs with a caller's
// *http.Client (roots, dialer, proxy, timeouts).
type Client struct {
	hc   *http.Client
	base string
}

// NewClient returns a client for base (DefaultBase when empty).
func NewClient(hc *http.Client, base string) *Client {
	if base == "" {
		base = DefaultBase
	}
	return &Client{hc: hc, base: strings.TrimRight(base, "/")}
}

// Send is the body of a POST /v1/messages.
type Send struct {
	RoomID        string   `json:"roomId,omitempty"`
	ToPersonEmail string   `json:"toPersonEmail,omitempty"`
	ToPersonID    string   `json:"toPersonId,omitempty"`
	Text          string   `json:"text,omitempty"`
	Markdown      string   `json:"markdown,omitempty"`
	Files         []string `json:"files,omitempty"`
}

// Send posts a message as the token's owner.
func (c *Client) Send(ctx context.Context, token string, m Send) (Message, Evidence, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return Message{}, Evidence{}, fmt.Errorf("webex: send: %w", err)
	}
	b, ev, err := c.do(ctx, http.MethodPost, "/v1/messages", token, body)
	if err != nil {
		return Message{}, ev, err
	}
	out, err := ParseMessage(b)
	if err != nil {
		ev.Err = err.Error()
	}
	return out, ev, err
}

// Direct lists the 1:1 messages between the token's owner and email,
// newest first.
func (c *Client) Direct(ctx context.Context, token, email string) ([]Message, Evidence, error) {
	b, ev, err := c.do(ctx, http.MethodGet, "/v1/messages/direct?personEmail="+url.QueryEscape(email), token, nil)
	if err != nil {
		return nil, ev, err
	}
	out, err := ParseMessages(b)
	if err != nil {
		ev.Err = err.Error()
	}
	return out, ev, err
}

// Person looks a person up by email; found is false when no one has it.
func (c *Client) Person(ctx context.Context, token, email string) (PersonInfo, bool, Evidence, error) {
	b, ev, err := c.do(ctx, http.MethodGet, "/v1/people?email="+url.QueryEscape(email), token, nil)
	if err != nil {
		return PersonInfo{}, false, ev, err
	}
	people, err := ParsePeople(b)
	if err != nil {
		ev.Err = err.Error()
		return PersonInfo{}, false, ev, err
	}
	if len(people) == 0 {
		return PersonInfo{}, false, ev, nil
	}
	return people[0], true, ev, nil
}

func (c *Client) do(ctx context.Context, method, path, token string, body []byte) ([]byte, Evidence, error) {
	ev := Evidence{Method: method, URL: c.base + path}
	fail := func(err error) ([]byte, Evidence, error) {
		ev.Err = err.Error()
		return nil, ev, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, httpx.DefaultTimeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fail(fmt.Errorf("webex: %w", err))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", httpauth.Bearer(token, httpauth.FormRFC6750))
	resp, err := c.hc.Do(req)
	if err != nil {
		return fail(fmt.Errorf("webex: %s %s: %w", method, path, err))
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	ev.Header = httpx.Redact(resp.Header)
	b, rerr := httpx.ReadCapped(resp.Body, httpx.MaxBody)
	ev.Body = string(b[:min(len(b), httpx.EvidenceBody)])
	if resp.StatusCode/100 != 2 {
		se := &StatusError{StatusError: httpx.StatusError{Code: resp.StatusCode,
			WWWAuthenticate: resp.Header.Get("WWW-Authenticate"), Server: resp.Header.Get("Server")},
			RetryAfter: resp.Header.Get("Retry-After")}
		var e apiError
		if json.Unmarshal(b, &e) == nil {
			se.Message = e.Message
		}
		return fail(fmt.Errorf("webex: %s %s: %w", method, path, se))
	}
	if rerr != nil {
		return fail(fmt.Errorf("webex: %s %s: %w", method, path, rerr))
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail(fmt.Errorf("webex: %s %s: %w: want application/json, got %q", method, path, ErrSyntax, resp.Header.Get("Content-Type")))
	}
	return b, ev, nil
}

func decode(b []byte, v any, what string) error {
	if len(b) > httpx.MaxBody {
		return fmt.Errorf("%w: %s of %d bytes", ErrSyntax, what, len(b))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSyntax, what, err)
	}
	if d.More() {
		return fmt.Errorf("%w: %s: trailing data", ErrSyntax, what)
	}
	return nil
}

// ParseMessage parses one message object; it must have an id.
func ParseMessage(b []byte) (Message, error) {
	var m Message
	if err := decode(b, &m, "message"); err != nil {
		return Message{}, err
	}
	if m.ID == "" {
		return Message{}, fmt.Errorf("%w: message without an id", ErrSyntax)
	}
	return m, nil
}

// ParseMessages parses a {"items": [...]} list of messages.
func ParseMessages(b []byte) ([]Message, error) {
	var l struct {
		Items *[]Message `json:"items"`
	}
	if err := decode(b, &l, "message list"); err != nil {
		return nil, err
	}
	if l.Items == nil {
		return nil, fmt.Errorf("%w: message list without items", ErrSyntax)
	}
	for i, m := range *l.Items {
		if m.ID == "" {
			return nil, fmt.Errorf("%w: message %d without an id", ErrSyntax, i)
		}
	}
	return *l.Items, nil
}

// ParsePeople parses a {"items": [...]} list of people.
func ParsePeople(b []byte) ([]PersonInfo, error) {
	var l struct {
		Items *[]PersonInfo `json:"items"`
	}
	if err := decode(b, &l, "people list"); err != nil {
		return nil, err
	}
	if l.Items == nil {
		return nil, fmt.Errorf("%w: people list without items", ErrSyntax)
	}
	return *l.Items, nil
}
