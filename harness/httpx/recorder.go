package httpx

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Request is one request a fake received. Authorization values are never
// kept: only whether there was one.
type Request struct {
	Method, Path, RawQuery string
	HasAuth                bool
}

// Recorder is what every fake HTTP server keeps: the requests it saw, and
// those it did not expect (so that Close can fail loudly when a check probed
// the wrong thing). The zero value is ready to use.
type Recorder struct {
	mu         sync.Mutex
	received   []Request
	unexpected []string
}

// Record notes a request.
func (r *Recorder) Record(req *http.Request) {
	r.mu.Lock()
	r.received = append(r.received, Request{
		Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery,
		HasAuth: req.Header.Get("Authorization") != "",
	})
	r.mu.Unlock()
}

// Unexpected notes a request the fake does not serve.
func (r *Recorder) Unexpected(req *http.Request) {
	r.mu.Lock()
	r.unexpected = append(r.unexpected, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
}

// Received returns a copy of the requests so far, oldest first.
func (r *Recorder) Received() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.received...)
}

// Err wraps sentinel with the unexpected requests, or returns nil.
func (r *Recorder) Err(sentinel error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.unexpected) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", sentinel, strings.Join(r.unexpected, ", "))
}

// StatusRule makes a fake answer Code for every path under Prefix: a fault.
type StatusRule struct {
	Prefix string
	Code   int
}

// MatchStatus returns the code of the first rule matching path.
func MatchStatus(rules []StatusRule, path string) (int, bool) {
	for _, rule := range rules {
		if strings.HasPrefix(path, rule.Prefix) {
			return rule.Code, true
		}
	}
	return 0, false
}
