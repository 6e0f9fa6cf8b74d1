package containers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go/network"

	"example.com/cutover/features"
	"example.com/cutover/harness/connectproxy"
	"example.com/cutover/harness/containers"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/fakesite/fakesitetest"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

// requireDocker skips the test when no Docker engine answers: the
// containers tier runs wherever one does (make test on CI), embedded always.
func requireDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := containers.Available(ctx); err != nil {
		t.Skipf("containers tier skipped: %v", err)
	}
}

func runID(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

// noLeftovers fails the test if anything labelled with the run survives.
func noLeftovers(t *testing.T, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	left, err := containers.Leftovers(ctx, id)
	if err != nil {
		t.Errorf("run %s: list leftovers: %v", id, err)
	}
	if len(left) > 0 {
		t.Errorf("run %s: left behind after Close: %v", id, left)
	}
}

func failedIDs(r *report.Run) []string {
	var out []string
	for _, c := range r.Failed() {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// TestSuite runs the unmodified feature suite against the containers site,
// healthy and faulted, and requires the verdicts of the embedded site with
// the same faults.
func TestSuite(t *testing.T) {
	requireDocker(t)
	for _, tc := range []struct {
		name   string
		faults []string
	}{
		{"healthy", nil},
		{"faulted", []string{"uds-srv-visible-outside", "edge-san-missing-domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			et, err := embedded.Start(ctx, fakesite.Options{Faults: tc.faults})
			if err != nil {
				t.Fatal(err)
			}
			defer et.Close()
			want, err := runner.Run(ctx, runner.Options{Target: et, FS: features.FS})
			if err != nil {
				t.Fatal(err)
			}

			began := time.Now()
			ct := start(t, fakesite.Options{Faults: tc.faults})
			t.Logf("containers site %q started in %v", ct.Site.Name, time.Since(began).Round(time.Millisecond))
			got, err := runner.Run(ctx, runner.Options{Target: ct, FS: features.FS})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Checks) != len(want.Checks) {
				t.Errorf("faults %v: containers ran %d checks, embedded %d", tc.faults, len(got.Checks), len(want.Checks))
			}
			if g, w := failedIDs(got), failedIDs(want); !slices.Equal(g, w) {
				t.Errorf("faults %v: containers fail %v, embedded fails %v", tc.faults, g, w)
				for _, c := range got.Failed() {
					t.Logf("%s: %s", c.ID, c.Error)
				}
			}
			if tc.faults == nil && len(got.Failed()) > 0 {
				t.Errorf("healthy containers site fails %v", failedIDs(got))
			}
			if tc.faults == nil {
				vantagesAreIsolated(t, ct)
			}
		})
	}
}

// vantagesAreIsolated: the vantage points are networks, not just DNS
// views. An inside client reaches a UCM node's address; an outside client,
// given that same address, does not (its proxy has no route there).
func vantagesAreIsolated(t *testing.T, site *target.Target) {
	t.Helper()
	ctx := context.Background()
	// Unbounded: the test dials an address, which the site boundary refuses
	// before any network could.
	ct := target.New(site.Site, target.Unbounded())
	addrs, _, err := ct.LookupHost(ctx, target.Inside, "ucm1.example.com")
	if err != nil || len(addrs) == 0 {
		t.Fatalf("ucm1 from inside: %v", err)
	}
	ucm1 := net.JoinHostPort(addrs[0].String(), "8443")
	c, err := ct.DialContext(target.Inside)(ctx, "tcp", ucm1)
	if err != nil {
		t.Fatalf("inside client to ucm1 %s: %v", ucm1, err)
	}
	c.Close()
	if c, err := ct.DialContext(target.Outside)(ctx, "tcp", ucm1); err == nil {
		c.Close()
		t.Fatalf("outside client reached ucm1's inside address %s", ucm1)
	} else if !errors.Is(err, connectproxy.ErrRefused) {
		t.Fatalf("outside client to %s: want the outside proxy to refuse, got %v", ucm1, err)
	}
}

// TestSweep proves that resources of a dead run are removed and those of a
// live run are kept.
func TestSweep(t *testing.T) {
	requireDocker(t)
	ctx := context.Background()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	mk := func(id string, pid int) {
		t.Helper()
		t.Cleanup(func() { noLeftovers(t, id) })
		_, err := network.New(ctx, network.WithLabels(map[string]string{
			containers.LabelManaged: "true", containers.LabelRun: id,
			containers.LabelPID: strconv.Itoa(pid), containers.LabelHost: host,
		}))
		if err != nil {
			t.Fatal(err)
		}
	}
	deadRun, liveRun := runID(t), runID(t)
	mk(deadRun, dead.Process.Pid)
	mk(liveRun, os.Getpid())
	if _, err := containers.Sweep(ctx); err != nil {
		// The engine may hold on to another dead run's network (a leaked
		// endpoint, moby/moby#42119): what matters here is what happened
		// to this test's two runs.
		t.Logf("sweep: %v", err)
	}
	noLeftovers(t, deadRun)
	left, err := containers.Leftovers(ctx, liveRun)
	if err != nil || len(left) != 1 {
		t.Errorf("live run %s: want its network kept, got %v (err %v)", liveRun, left, err)
	}
	// The live run is ours: remove it as its Close would.
	cmd := exec.Command("docker", "network", "prune", "-f", "--filter", "label="+containers.LabelRun+"="+liveRun)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("docker network prune: %v: %s", err, out)
	}
}

func TestZones(t *testing.T) {
	plan, err := fakesite.Example()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := containers.Zones(plan), []string{"inside", "dmz", "outside"}; !slices.Equal(got, want) {
		t.Errorf("zones: want %v, got %v", want, got)
	}
	// A host added later brings its zone by data alone.
	plan.Hosts = append(plan.Hosts, &fakesite.Host{Name: "sbc1.example.com", Zones: []string{"dmz", "carrier"}})
	if got, want := containers.Zones(plan), []string{"inside", "dmz", "outside", "carrier"}; !slices.Equal(got, want) {
		t.Errorf("zones with a new host: want %v, got %v", want, got)
	}
}

// TestNewKindRunsInContainers: the test kinds of fakesitetest run in
// containers from a custom fake binary, with no change to this package.
func TestNewKindRunsInContainers(t *testing.T) {
	requireDocker(t)
	bin := filepath.Join(t.TempDir(), "echofake")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/echofake")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build echofake: %v\n%s", err, out)
	}
	p, reg, err := fakesitetest.Plan()
	if err != nil {
		t.Fatal(err)
	}
	fakesitetest.Check(t, start(t, fakesite.Options{Plan: p, Kinds: reg}, containers.WithFakeBinary(bin)))
}

// start runs a containers site for the test and removes it, and checks
// that nothing of it is left, when the test ends.
func start(t *testing.T, o fakesite.Options, opts ...containers.Option) *target.Target {
	t.Helper()
	id := runID(t)
	ct, err := containers.Start(context.Background(), o, append(opts, containers.WithRunID(id))...)
	t.Cleanup(func() {
		if ct != nil {
			if err := ct.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
		noLeftovers(t, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ct
}
