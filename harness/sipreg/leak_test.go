package sipreg_test

import (
	"runtime"
	"testing"
	"time"

	"example.com/cutover/harness/sipreg"
)

// Close leaves no goroutines behind, raw fault servers included.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	for _, opts := range [][]sipreg.Option{nil, {sipreg.TryingForever()}, {sipreg.Silence()}} {
		before := runtime.NumGoroutine()
		r := start(t, opts...)
		c := dialTCP(t, r.srv.PlainAddr("tcp"))
		_ = c.c.SetDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = c.c.Write(register("alice", "CSFalice", "", 1, 60).Bytes())
		_, _ = c.br.ReadString('\n')
		_ = c.c.Close()
		if err := r.srv.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	}
}
