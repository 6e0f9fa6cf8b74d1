package fakesite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/clock"
)

// ControlPort is where a fake host in a process of its own (a container)
// listens for the site clock: the harness moves the fakes' time there
// instead of waiting. No plan service may use it.
const ControlPort = 61999

// controlPath is the one resource of the control listener: PUT the site
// clock's offset from the real time, in nanoseconds, as decimal text.
const controlPath = "/cutover/clock"

// settlePath answers once the host's services have settled (see
// Settler): 204, or 503 with the reason.
const settlePath = "/cutover/settled"

// ErrControl is a control request that failed.
var ErrControl = errors.New("fakesite: control")

// startControl serves the control listener for clk on addr.
func startControl(addr string, clk *clock.Clock) (*controlServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakesite: control listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+controlPath, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 64))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		d, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			http.Error(w, "want the offset in nanoseconds", http.StatusBadRequest)
			return
		}
		clk.Set(time.Duration(d))
		w.WriteHeader(http.StatusNoContent)
	})
	s := &controlServer{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	mux.HandleFunc("GET "+settlePath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		settle := s.settle
		s.mu.Unlock()
		if settle == nil {
			http.Error(w, "the host is not started", http.StatusServiceUnavailable)
			return
		}
		if err := settle(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	go s.srv.Serve(ln)
	return s, nil
}

type controlServer struct {
	ln  net.Listener
	srv *http.Server

	mu     sync.Mutex
	settle func(context.Context) error
}

// started makes the settle resource answer for run.
func (s *controlServer) started(run *RunningHost) {
	s.mu.Lock()
	s.settle = run.Settle
	s.mu.Unlock()
}

func (s *controlServer) Addr() string { return s.ln.Addr().String() }

func (s *controlServer) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("fakesite: control listener: %w", err)
	}
	return nil
}

// SetClock puts the clock of the fake host whose control listener is at
// addr ("ip:port") at offset from the real time.
func SetClock(ctx context.Context, hc *http.Client, addr string, offset time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+addr+controlPath, strings.NewReader(strconv.FormatInt(int64(offset), 10)))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrControl, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: set the clock of %s: %w", ErrControl, addr, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%w: set the clock of %s: status %d", ErrControl, addr, resp.StatusCode)
	}
	return nil
}

// Settle waits until the fake host whose control listener is at addr has
// settled (RunningHost.Settle, bounded by the site's timeout there): the
// containers launcher asks every host once all of them run.
func Settle(ctx context.Context, hc *http.Client, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+settlePath, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrControl, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: settle %s: %w", ErrControl, addr, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%w: settle %s: status %d: %s", ErrControl, addr, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
