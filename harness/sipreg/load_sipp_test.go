package sipreg_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"example.com/cutover/harness/sipreg"
)

// TestSippLoad measures REGISTER per second with sipp (Debian's
// sip-tester) over UDP, for scripts/bench.sh: each sipp call is the RFC
// 8898 exchange (tokenless REGISTER → 401 Bearer, REGISTER with the token
// → 200, unregister → 200), CUTOVER_BENCH_SIPP_CALLS calls (default
// 20000), at most 100 at once. CUTOVER_BENCH_SIPP_PEER is "fake" (this
// registrar, started here) or "ip:port" of another registrar doing the
// same (Kamailio in the script) with CUTOVER_BENCH_SIPP_TOKEN for alice.
// It prints "REGISTER/s N". A measurement, not an assertion: it fails only
// when a call fails.
func TestSippLoad(t *testing.T) {
	sipp, peer := os.Getenv("CUTOVER_INTEROP_SIPP"), os.Getenv("CUTOVER_BENCH_SIPP_PEER")
	if sipp == "" || peer == "" {
		t.Skip("scripts/bench.sh sets CUTOVER_INTEROP_SIPP and CUTOVER_BENCH_SIPP_PEER")
	}
	calls := 20000
	if n, err := strconv.Atoi(os.Getenv("CUTOVER_BENCH_SIPP_CALLS")); err == nil && n > 0 {
		calls = n
	}
	addr, tok := peer, os.Getenv("CUTOVER_BENCH_SIPP_TOKEN")
	if peer == "fake" {
		r := start(t, sipreg.WithProfile(sipreg.ProfileRFC8898))
		addr, tok = r.srv.PlainAddr("udp"), r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "register.xml")
	if err := os.WriteFile(scen, []byte(sippScenario(sipreg.ProfileRFC8898, true)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, addr, "-sf", scen, "-m", strconv.Itoa(calls), "-t", "u1",
		"-r", "100000", "-l", "100",
		"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t, "udp")), "-bind_local",
		"-timeout", "240s", "-timeout_error", "-nostdin",
		"-key", "aor_user", "alice", "-key", "device", "CSFalice",
		"-key", "auth_hdr", "Authorization", "-key", "auth_val", "Bearer "+tok,
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"))
	cmd.Dir = dir
	begin := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(begin)
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp: %v\n%s\nerrors:\n%s", err, tail(out), tail(errs))
	}
	fmt.Printf("REGISTER/s %.0f (%d calls of 3 REGISTERs in %s)\n", float64(3*calls)/elapsed.Seconds(), calls, elapsed.Round(time.Millisecond))
}
