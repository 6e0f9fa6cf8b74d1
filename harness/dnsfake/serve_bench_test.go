package dnsfake_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"example.com/cutover/harness/dnsfake"
)

// TestServeForBench serves the zone file CUTOVER_BENCH_DNS_ZONE on
// CUTOVER_BENCH_DNS_ADDR (UDP and TCP) until SIGTERM or SIGINT, for
// scripts/bench.sh to load with dnsperf beside BIND serving the same file.
func TestServeForBench(t *testing.T) {
	zone, addr := os.Getenv("CUTOVER_BENCH_DNS_ZONE"), os.Getenv("CUTOVER_BENCH_DNS_ADDR")
	if zone == "" || addr == "" {
		t.Skip("scripts/bench.sh sets CUTOVER_BENCH_DNS_ZONE and CUTOVER_BENCH_DNS_ADDR")
	}
	text, err := os.ReadFile(zone)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	s, err := dnsfake.Start(ctx, dnsfake.WithAddr(addr), dnsfake.WithZoneText(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("serving %s\n", s.Addr())
	<-ctx.Done()
	fmt.Printf("answered %d queries\n", s.Count())
}
