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
	go s.srv.Serve(ln)
	return s, nil
}

type controlServer struct {
	ln  net.Listener
	srv *http.Server
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
