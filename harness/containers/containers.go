// Package containers starts the example site of harness/fakesite — inside
// and outside DNS, the UCM nodes' UDS, Expressway-E — as Docker containers
// on networks that model the site (inside, DMZ, outside), optionally broken
// by named faults, and returns it as a target.Target like any lab site.
//
// Every role runs the same image: a static build of cmd/cutover-fake, FROM
// scratch, tagged by the binary's hash and built only when that tag is
// missing. Everything is driven by plan.Roles (Kind, Zones): a fake added to
// the plan gets its container and networks without a change here.
//
// The checks run on the host and reach the containers on their bridge
// addresses: the DNS views publish the containers' real addresses and the
// fakes listen on their real ports (53, 8443), so no connect_to is needed.
// Ryuk is disabled (it cannot be pulled); this package removes its own
// containers and networks, by label, on Target.Close and, for runs that
// died before their cleanup, at the next Start (see Sweep).
package containers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// BundlePath is where each container finds the site bundle.
const BundlePath = "/bundle.json"

// Node is one role of the plan as a container.
type Node struct {
	// Role is the role name: the host FQDN (or "dns-inside"), used as the
	// network alias on every network the container joins.
	Role string
	Kind string
	// Zones are the networks the container joins, as the plan lists them.
	Zones []string
	// Aliases are the role name and the other names its certificate
	// carries: the container's host names on its networks.
	Aliases []string
	// Face is the zone whose address the clients use: the most public one
	// the role is on (outside, then dmz, then inside).
	Face string
	// Down: the container runs but listens on nothing (a dead node).
	Down bool
}

// Topology lays out a plan as containers: the zones to create networks for
// (inside, dmz, outside first, then any other zone a role names) and one
// Node per role, DNS views last since their records need every address.
func Topology(p *fakesite.Plan) (zones []string, nodes []Node, err error) {
	seen := map[string]bool{}
	for _, r := range p.Roles {
		if len(r.Zones) == 0 {
			return nil, nil, fmt.Errorf("containers: role %s is in no zone", r.Name)
		}
		n := Node{Role: r.Name, Kind: r.Kind, Zones: append([]string(nil), r.Zones...), Down: r.Down}
		for _, a := range append([]string{r.Name}, r.DNSNames...) {
			if !slices.Contains(n.Aliases, a) {
				n.Aliases = append(n.Aliases, a)
			}
		}
		n.Face = r.Zones[0]
		for _, z := range r.Zones {
			if !seen[z] {
				seen[z] = true
				zones = append(zones, z)
			}
			if zoneRank(z) < zoneRank(n.Face) {
				n.Face = z
			}
		}
		nodes = append(nodes, n)
	}
	sort.SliceStable(zones, func(i, j int) bool {
		ri, rj := zoneRank(zones[i]), zoneRank(zones[j])
		if ri == 3 || rj == 3 { // zones of later fakes after the three
			return ri != 3 && rj == 3 || ri == rj && zones[i] < zones[j]
		}
		return ri > rj
	})
	sort.SliceStable(nodes, func(i, j int) bool {
		return nodes[i].Kind != fakesite.KindDNS && nodes[j].Kind == fakesite.KindDNS
	})
	return zones, nodes, nil
}

// zoneRank orders zones from public (0) to private.
func zoneRank(z string) int {
	switch z {
	case fakesite.ZoneOutside:
		return 0
	case fakesite.ZoneDMZ:
		return 1
	case fakesite.ZoneInside:
		return 2
	}
	return 3
}

// Start builds the site with the given faults, makes sure the fake's image
// exists, creates the site's networks and starts every role in a container,
// the non-DNS roles in parallel, then the DNS views with the containers'
// addresses. The returned Target's Close removes every container and
// network of the run, also when Start fails half-way. Without a Docker
// engine the error matches ErrNoDocker and target.ErrConfig.
func Start(ctx context.Context, opts ...Option) (_ *target.Target, err error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	plan, bundle, err := fakesite.Build("containers", cfg.site)
	if err != nil {
		return nil, err
	}
	zones, nodes, err := Topology(plan)
	if err != nil {
		return nil, err
	}
	site := plan.Site
	site.ConnectTo = nil

	d, err := connect(ctx, cfg.logger)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	own := owner{run: cfg.runID, pid: os.Getpid(), host: host}
	if own.run == "" {
		own.run = newRunID()
	}
	if cfg.sweep {
		if n, err := d.sweep(ctx, host); err != nil {
			cfg.logger.Printf("containers: sweep of dead runs: %v", err)
		} else if n > 0 {
			cfg.logger.Printf("containers: swept %d leftovers of dead runs", n)
		}
	}
	began := time.Now()
	img, err := d.ensureImage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	cfg.logger.Printf("containers: image %s (built: %t) ready in %v", img.Ref, img.Built, time.Since(began).Round(time.Millisecond))

	// From here on resources exist: the cleanup is registered before any
	// is created and finds them by the run's labels, so a container whose
	// start failed half-way is removed too.
	t := target.New(site)
	t.OnClose(func() error {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := d.removeByLabels(cctx, own.labels())
		return err
	})
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Close())
		}
	}()

	began = time.Now()
	nets, err := d.networks(ctx, own, zones)
	if err != nil {
		return nil, err
	}
	cfg.logger.Printf("containers: %d networks in %v", len(nets), time.Since(began).Round(time.Millisecond))
	split := slices.IndexFunc(nodes, func(n Node) bool { return n.Kind == fakesite.KindDNS })
	if split < 0 {
		split = len(nodes)
	}
	data, err := bundle.Marshal()
	if err != nil {
		return nil, fmt.Errorf("containers: bundle: %w", err)
	}
	began = time.Now()
	ips, err := d.startAll(ctx, cfg, own, img.Ref, nodes[:split], nets, data)
	if err != nil {
		return nil, err
	}
	cfg.logger.Printf("containers: %d hosts started in %v", split, time.Since(began).Round(time.Millisecond))
	for name, ip := range ips {
		r := plan.Role(name)
		if r.Kind == fakesite.KindProxy {
			// A vantage point, not a host: clients dial through it.
			vantage(site, r.Proxy.View).Proxy = net.JoinHostPort(ip, fakesite.ProxyPort)
			continue
		}
		plan.Hosts[name] = ip
	}
	// The DNS views publish the containers' addresses (Plan.Records).
	if data, err = bundle.Marshal(); err != nil {
		return nil, fmt.Errorf("containers: bundle: %w", err)
	}
	began = time.Now()
	dnsIPs, err := d.startAll(ctx, cfg, own, img.Ref, nodes[split:], nets, data)
	if err != nil {
		return nil, err
	}
	cfg.logger.Printf("containers: %d DNS views started in %v", len(nodes)-split, time.Since(began).Round(time.Millisecond))
	for _, r := range plan.RolesOf(fakesite.KindDNS) {
		vantage(site, r.DNS.View).Resolver = net.JoinHostPort(dnsIPs[r.Name], "53")
	}
	return t, nil
}

// vantage is the site's vantage point named view.
func vantage(site *target.Site, view string) *target.Vantage {
	if view == "outside" {
		return &site.Vantage.Outside
	}
	return &site.Vantage.Inside
}

// networks creates one bridge network per zone, labelled for the run.
func (d *docker) networks(ctx context.Context, own owner, zones []string) (map[string]string, error) {
	out := map[string]string{}
	for _, z := range zones {
		labels := own.labels()
		labels[LabelZone] = z
		n, err := network.New(ctx, network.WithLabels(labels), network.WithAttachable())
		if err != nil {
			return nil, fmt.Errorf("containers: create network for zone %s: %w", z, err)
		}
		out[z] = n.Name
	}
	return out, nil
}

// startAll starts the nodes in parallel and returns each one's address on
// its Face network.
func (d *docker) startAll(ctx context.Context, cfg *config, own owner, image string, nodes []Node, nets map[string]string, bundle []byte) (map[string]string, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ips  = map[string]string{}
		errs []error
	)
	for _, n := range nodes {
		wg.Go(func() {
			ip, err := d.start(ctx, cfg, own, image, n, nets, bundle)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			ips[n.Role] = ip
		})
	}
	wg.Wait()
	return ips, errors.Join(errs...)
}

// start runs one node and waits for its ready (or down) line.
func (d *docker) start(ctx context.Context, cfg *config, own owner, image string, n Node, nets map[string]string, bundle []byte) (string, error) {
	labels := own.labels()
	labels[LabelRole] = n.Role
	var names []string
	aliases := map[string][]string{}
	for _, z := range n.Zones {
		names = append(names, nets[z])
		aliases[nets[z]] = n.Aliases
	}
	ready := "cutover-fake: " + n.Role + " ready on "
	if n.Down {
		ready = "cutover-fake: " + n.Role + " down"
	}
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:          image,
			Name:           "cutover-" + own.run + "-" + n.Role,
			Cmd:            []string{"--bundle", BundlePath, "--role", n.Role},
			Labels:         labels,
			Networks:       names,
			NetworkAliases: aliases,
			Files: []testcontainers.ContainerFile{
				{Reader: bytes.NewReader(bundle), ContainerFilePath: BundlePath, FileMode: 0o400},
			},
			WaitingFor: wait.ForLog(ready).WithStartupTimeout(cfg.startup).WithPollInterval(20 * time.Millisecond),
		},
		Started: true,
		Logger:  cfg.logger,
	})
	if err != nil {
		return "", fmt.Errorf("containers: start %s: %w%s", n.Role, err, logTail(ctr))
	}
	info, err := d.cli.ContainerInspect(ctx, ctr.GetContainerID(), client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("containers: inspect %s: %w", n.Role, err)
	}
	ep, ok := info.Container.NetworkSettings.Networks[nets[n.Face]]
	if !ok || !ep.IPAddress.IsValid() {
		return "", fmt.Errorf("containers: %s has no address on the %s network", n.Role, n.Face)
	}
	return ep.IPAddress.String(), nil
}

// logTail is the end of a failed container's output, for the error.
func logTail(ctr testcontainers.Container) string {
	if ctr == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	if s == "" {
		return ""
	}
	return "; container output:\n" + s
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand)
	return hex.EncodeToString(b)
}
