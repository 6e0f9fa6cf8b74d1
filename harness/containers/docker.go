package containers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/log"

	"example.com/cutover/harness/target"
)

// Labels on every container and network this package creates. Cleanup
// finds its resources by them, never by name.
const (
	LabelManaged = "cutover.managed" // "true"
	LabelRun     = "cutover.run"     // random id of one Start
	LabelPID     = "cutover.pid"     // pid of the process that started it
	LabelHost    = "cutover.host"    // hostname of that process
	LabelRole    = "cutover.role"    // role name (containers)
	LabelZone    = "cutover.zone"    // zone name (networks)
)

// ErrNoDocker means no Docker engine answered. Errors carrying it also
// match target.ErrConfig, so the CLI exits 2.
var ErrNoDocker = errors.New("containers: no Docker engine reachable")

type noDockerError struct{ err error }

func (e *noDockerError) Error() string {
	return fmt.Sprintf("%v (--target containers needs a running Docker engine; --target embedded does not): %v", ErrNoDocker, e.err)
}
func (e *noDockerError) Unwrap() error { return e.err }
func (e *noDockerError) Is(t error) bool {
	return t == ErrNoDocker || t == target.ErrConfig
}

// ryukOnce disables Ryuk (its image cannot be pulled here) before the first
// testcontainers call reads its configuration.
var ryukOnce sync.Once

func disableRyuk() {
	ryukOnce.Do(func() { _ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") })
}

// docker is a healthy provider and its client.
type docker struct {
	provider *testcontainers.DockerProvider
	cli      client.APIClient
}

// connect returns a provider whose engine answered, or an error matching
// ErrNoDocker. testcontainers-go panics in some paths without an engine:
// the panic becomes the error.
func connect(ctx context.Context, logger log.Logger) (*docker, error) {
	disableRyuk()
	return connectWith(ctx, func() (*testcontainers.DockerProvider, error) {
		return testcontainers.NewDockerProvider(testcontainers.WithLogger(logger))
	})
}

// connectWith is connect with the provider's constructor as a seam.
func connectWith(ctx context.Context, newProvider func() (*testcontainers.DockerProvider, error)) (d *docker, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, &noDockerError{fmt.Errorf("testcontainers panicked: %v", r)}
		}
	}()
	p, err := newProvider()
	if err != nil {
		return nil, &noDockerError{err}
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Health(hctx); err != nil {
		return nil, &noDockerError{err}
	}
	return &docker{provider: p, cli: p.Client()}, nil
}

// Available reports whether a Docker engine answers (tests skip without one).
func Available(ctx context.Context) error {
	_, err := connect(ctx, log.NewNoopLogger())
	return err
}

// owner holds the labels identifying this process's runs.
type owner struct {
	run  string
	pid  int
	host string
}

func (o owner) labels() map[string]string {
	return map[string]string{
		LabelManaged: "true",
		LabelRun:     o.run,
		LabelPID:     strconv.Itoa(o.pid),
		LabelHost:    o.host,
	}
}

// removeByLabels force-removes every container, then every network, that
// carries all the labels: one run's resources. Missing ones are fine
// (another cleanup got there first).
func (d *docker) removeByLabels(ctx context.Context, labels map[string]string, patience time.Duration) (int, error) {
	f := client.Filters{}
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	cs, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("containers: list containers: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	// Disconnect first, while the containers exist, and one endpoint at a
	// time: an engine that drops endpoints of one network concurrently
	// (parallel force removals) can lose count of them, and the network
	// then never goes, "has active endpoints" with none attached
	// (moby/moby#42119, seen here on Docker 20.10 under load).
	for _, c := range cs.Items {
		if c.NetworkSettings == nil {
			continue
		}
		for name := range c.NetworkSettings.Networks {
			_, _ = d.cli.NetworkDisconnect(ctx, name, client.NetworkDisconnectOptions{Container: c.ID, Force: true})
		}
	}
	for _, c := range cs.Items {
		wg.Go(func() {
			_, err := d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("containers: remove container %s: %w", c.ID[:12], err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	ns, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return len(cs.Items), errors.Join(append(errs, fmt.Errorf("containers: list networks: %w", err))...)
	}
	// The names of the removed containers: an endpoint the engine kept
	// after its container went is found by the container's name only.
	var names []string
	for _, c := range cs.Items {
		for _, n := range c.Names {
			names = append(names, strings.TrimPrefix(n, "/"))
		}
	}
	for _, n := range ns.Items {
		if err := d.removeNetwork(ctx, n.ID, names, patience); err != nil {
			errs = append(errs, fmt.Errorf("containers: remove network %s: %w", n.Name, err))
		}
	}
	return len(cs.Items) + len(ns.Items), errors.Join(errs...)
}

// Sweep removes the containers and networks left by dead runs: those
// labelled by a process of this host that no longer runs (killed, crashed,
// or interrupted before its cleanup). Resources of live runs and of other
// hosts sharing the engine are left alone. It returns how many containers
// and networks it removed. Start sweeps unless WithoutSweep is given.
func Sweep(ctx context.Context) (int, error) {
	d, err := connect(ctx, log.NewNoopLogger())
	if err != nil {
		return 0, err
	}
	host, _ := os.Hostname()
	return d.sweep(ctx, host)
}

func (d *docker) sweep(ctx context.Context, host string) (int, error) {
	f := client.Filters{}
	f.Add("label", LabelManaged+"=true")
	f.Add("label", LabelHost+"="+host)
	dead := map[string]bool{}
	cs, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("containers: sweep: list containers: %w", err)
	}
	ns, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("containers: sweep: list networks: %w", err)
	}
	mark := func(labels map[string]string) {
		if run := labels[LabelRun]; run != "" && !alive(labels[LabelPID]) {
			dead[run] = true
		}
	}
	for _, c := range cs.Items {
		mark(c.Labels)
	}
	for _, n := range ns.Items {
		mark(n.Labels)
	}
	var (
		total int
		errs  []error
	)
	for run := range dead {
		// A dead run's network the engine will not let go of (a leaked
		// endpoint) is not worth more than a second of every start.
		n, err := d.removeByLabels(ctx, map[string]string{LabelManaged: "true", LabelHost: host, LabelRun: run}, time.Second)
		total += n
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}

// Leftovers names the containers and networks that still carry the run's
// label ("container NAME", "network NAME"); empty after a clean Close.
func Leftovers(ctx context.Context, runID string) ([]string, error) {
	d, err := connect(ctx, log.NewNoopLogger())
	if err != nil {
		return nil, err
	}
	f := client.Filters{}
	f.Add("label", LabelRun+"="+runID)
	cs, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("containers: list containers: %w", err)
	}
	ns, err := d.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("containers: list networks: %w", err)
	}
	var out []string
	for _, c := range cs.Items {
		out = append(out, "container "+strings.Join(c.Names, ","))
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	return out, nil
}

// removeNetwork removes a network once nothing is attached to it. A
// container removed a moment ago can leave its endpoint behind, for a while
// or for good (moby/moby#42119): whatever is still attached is disconnected
// by force, and the removal is tried again for at most patience. A forced
// disconnect of a container that no longer exists deletes the endpoint of
// that name, so the endpoints are named both by what the network lists
// (key and name) and by the names of the containers that were removed.
func (d *docker) removeNetwork(ctx context.Context, id string, names []string, patience time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	for {
		_, err := d.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
		if err == nil || cerrdefs.IsNotFound(err) {
			return nil
		}
		if !strings.Contains(err.Error(), "active endpoints") {
			return err
		}
		info, ierr := d.cli.NetworkInspect(ctx, id, client.NetworkInspectOptions{})
		if cerrdefs.IsNotFound(ierr) {
			return nil // another cleanup removed it meanwhile
		}
		if ierr != nil {
			return errors.Join(err, ierr)
		}
		attached := slices.Clone(names)
		for key, ep := range info.Network.Containers {
			attached = append(attached, key, ep.Name)
		}
		for _, c := range attached {
			if c != "" {
				_, _ = d.cli.NetworkDisconnect(ctx, id, client.NetworkDisconnectOptions{Container: c, Force: true})
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
