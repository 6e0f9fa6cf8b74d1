// Package containers runs a fake site (harness/fakesite; by default the
// example site) as Docker containers on networks that model the site
// (inside, DMZ, outside), optionally broken by named faults, wired into a
// target.Target like any lab site: it is the second fakesite.Launcher,
// beside harness/embedded, and takes the same fakesite.Options.
//
// Every host runs the same image: a static build of cmd/cutover-fake, FROM
// scratch, tagged by the binary's hash and built only when that tag is
// missing. Everything is driven by the plan's hosts (zones, services): a
// service kind added to the plan runs here without a change to this
// package.
//
// Each zone is a network with a subnet of its own, and each host gets a
// fixed address on each of its networks before anything starts, so the
// bundle is complete (DNS views publish the real addresses; fakes reach
// each other through them) and every container starts at once after the
// DNS views' (then every host settles: fakesite.Settler). The checks
// run on the host and reach the containers on their bridge addresses: the
// fakes listen on their real ports (53, 8443, …), so no connect_to is
// needed. Ryuk is disabled (it cannot be pulled); this package removes its
// own containers and networks, by label, on Target.Close and, for runs that
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
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	dnetwork "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// BundlePath is where each container finds the site bundle.
const BundlePath = "/bundle.json"

// Start runs the site in containers. The returned Target's Close removes
// every container and network of the run, also when Start fails half-way.
// Without a Docker engine the error matches ErrNoDocker and
// target.ErrConfig.
func Start(ctx context.Context, o fakesite.Options, opts ...Option) (*target.Target, error) {
	l, err := NewLauncher(opts...)
	if err != nil {
		return nil, err
	}
	t, _, err := fakesite.Open(ctx, l, o)
	return t, err
}

// Launcher starts every host of a plan in its own container.
type Launcher struct{ cfg *config }

// NewLauncher checks the options.
func NewLauncher(opts ...Option) (*Launcher, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	return &Launcher{cfg: cfg}, nil
}

// Name is "containers".
func (*Launcher) Name() string { return target.KindContainers }

// Zones lays out a plan's networks: inside, dmz, outside first (those the
// plan uses), then any other zone a host names, alphabetically.
func Zones(p *fakesite.Plan) []string {
	seen := map[string]bool{}
	var zones []string
	for _, h := range p.Hosts {
		for _, z := range h.Zones {
			if !seen[z] {
				seen[z] = true
				zones = append(zones, z)
			}
		}
	}
	sort.SliceStable(zones, func(i, j int) bool {
		ri, rj := zoneRank(zones[i]), zoneRank(zones[j])
		if ri != rj {
			return ri < rj
		}
		return ri == 3 && zones[i] < zones[j]
	})
	return zones
}

// zoneRank orders the site's zones from private (0) to public; later
// zones after them.
func zoneRank(z string) int {
	switch z {
	case fakesite.ZoneInside:
		return 0
	case fakesite.ZoneDMZ:
		return 1
	case fakesite.ZoneOutside:
		return 2
	}
	return 3
}

// Launch creates the site's networks, gives every host an address on each
// of its networks (its most public one is its Address), issues the bundle
// and starts a container for every host that runs a service.
func (l *Launcher) Launch(ctx context.Context, p *fakesite.Plan, reg *fakesite.Registry) (_ *fakesite.Launched, err error) {
	cfg := l.cfg
	d, err := connect(ctx, cfg.logger)
	if err != nil {
		return nil, err
	}
	own := owner{run: cfg.runID, pid: pid(), host: hostname()}
	if own.run == "" {
		own.run = newRunID()
	}
	if cfg.sweep {
		if n, err := d.sweep(ctx, own.host); err != nil {
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

	// From here on resources exist: the cleanup finds them by the run's
	// labels, so a container whose start failed half-way is removed too.
	out := &fakesite.Launched{Addrs: map[string]string{}, Close: func() error {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := d.removeByLabels(cctx, own.labels(), 15*time.Second)
		return err
	}}
	defer func() {
		if err != nil {
			err = errors.Join(err, out.Close())
		}
	}()

	began = time.Now()
	nets, err := d.networks(ctx, own, Zones(p))
	if err != nil {
		return nil, err
	}
	cfg.logger.Printf("containers: %d networks in %v", len(nets), time.Since(began).Round(time.Millisecond))
	if err := address(p, nets); err != nil {
		return nil, err
	}
	for _, h := range p.Hosts {
		for _, port := range h.Ports() {
			out.Addrs[fakesite.ServiceKey(h.Name, port)] = h.PlanAddr(port)
		}
	}
	p.Net = fakesite.NetOf(p, out.Addrs)
	if out.Bundle, err = fakesite.NewBundle(p, reg); err != nil {
		return nil, err
	}
	data, err := out.Bundle.Marshal()
	if err != nil {
		return nil, fmt.Errorf("containers: bundle: %w", err)
	}
	began = time.Now()
	var hosts []*fakesite.Host
	for _, h := range p.Hosts {
		if len(h.Services) > 0 { // a host without services is only an address in DNS
			hosts = append(hosts, h)
		}
	}
	// The DNS views first: every fake that dials another resolves it
	// through them, and a query sent before its view's container is on
	// the network is lost (no ICMP for an address not yet there) and costs
	// a whole DNS timeout.
	views, rest := dnsFirst(hosts)
	for _, tier := range [][]*fakesite.Host{views, rest} {
		if err := d.startAll(ctx, cfg, own, img.Ref, tier, nets, data); err != nil {
			return nil, err
		}
	}
	cfg.logger.Printf("containers: %d hosts started in %v", len(hosts), time.Since(began).Round(time.Millisecond))
	// Every host runs: those with a service that must first reach another
	// (the Hybrid Message connector's link to IM&P) settle now, within the
	// site's timeout, before the checks run. One that does not is left as
	// it is, for the checks to see.
	began = time.Now()
	if err := settleAll(ctx, hosts, p.Site.Limits.Timeout.D()); err != nil {
		cfg.logger.Printf("containers: %v", err)
	}
	cfg.logger.Printf("containers: settled in %v", time.Since(began).Round(time.Millisecond))
	out.SetOffset = func(ctx context.Context, offset time.Duration) error {
		hc := &http.Client{Timeout: 5 * time.Second}
		var errs []error
		for _, h := range hosts {
			if h.Down {
				continue
			}
			errs = append(errs, fakesite.SetClock(ctx, hc, h.PlanAddr(fakesite.ControlPort), offset))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("containers: %w", err)
		}
		return nil
	}
	return out, nil
}

// dnsFirst splits hosts into those serving a DNS view and the others.
func dnsFirst(hosts []*fakesite.Host) (views, rest []*fakesite.Host) {
	for _, h := range hosts {
		if slices.ContainsFunc(h.Services, func(s *fakesite.Service) bool { return s.Kind == fakesite.KindDNS }) {
			views = append(views, h)
		} else {
			rest = append(rest, h)
		}
	}
	return views, rest
}

// settleAll asks every running host, in parallel, to settle (each bounds
// its wait by the site's timeout).
func settleAll(ctx context.Context, hosts []*fakesite.Host, timeout time.Duration) error {
	hc := &http.Client{Timeout: timeout + 5*time.Second} // the host's own bound, and time to answer
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, h := range hosts {
		if h.Down {
			continue
		}
		wg.Go(func() {
			if err := fakesite.Settle(ctx, hc, h.PlanAddr(fakesite.ControlPort)); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// zoneNet is a zone's network and the addresses handed out on it.
type zoneNet struct {
	name   string
	subnet netip.Prefix
	next   netip.Addr
}

// address gives every host an address on each of its zones' networks;
// its Address is the one on its most public zone.
func address(p *fakesite.Plan, nets map[string]*zoneNet) error {
	for _, h := range p.Hosts {
		h.Addresses = map[string]string{}
		face := ""
		for _, z := range h.Zones {
			n := nets[z]
			if !n.subnet.Contains(n.next) {
				return fmt.Errorf("containers: network %s has no address left for %s", n.name, h.Name)
			}
			h.Addresses[z] = n.next.String()
			n.next = n.next.Next()
			if face == "" || zoneRank(z) > zoneRank(face) {
				face = z
			}
		}
		h.Address = h.Addresses[face]
	}
	return nil
}

// networks creates one bridge network per zone, labelled for the run, each
// with a subnet of its own so that addresses can be handed out before the
// containers start. Docker picks the subnet (it knows which are free); the
// network is then made again with that subnet written down, which fixed
// addresses need.
func (d *docker) networks(ctx context.Context, own owner, zones []string) (map[string]*zoneNet, error) {
	out := map[string]*zoneNet{}
	for _, z := range zones {
		labels := own.labels()
		labels[LabelZone] = z
		probe, err := network.New(ctx, network.WithLabels(labels), network.WithAttachable())
		if err != nil {
			return nil, fmt.Errorf("containers: create network for zone %s: %w", z, err)
		}
		info, err := d.cli.NetworkInspect(ctx, probe.ID, client.NetworkInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("containers: inspect network for zone %s: %w", z, err)
		}
		if len(info.Network.IPAM.Config) == 0 || !info.Network.IPAM.Config[0].Subnet.IsValid() {
			return nil, fmt.Errorf("containers: network for zone %s has no subnet", z)
		}
		subnet := info.Network.IPAM.Config[0].Subnet.Masked()
		if err := probe.Remove(ctx); err != nil {
			return nil, fmt.Errorf("containers: remove probe network for zone %s: %w", z, err)
		}
		gw := subnet.Addr().Next()
		n, err := network.New(ctx, network.WithLabels(labels), network.WithAttachable(),
			network.WithIPAM(&dnetwork.IPAM{Driver: "default", Config: []dnetwork.IPAMConfig{{Subnet: subnet, Gateway: gw}}}))
		if err != nil {
			return nil, fmt.Errorf("containers: create network for zone %s on %s: %w", z, subnet, err)
		}
		first := gw
		for range 9 { // .10 onwards: room below for the gateway
			first = first.Next()
		}
		out[z] = &zoneNet{name: n.Name, subnet: subnet, next: first}
	}
	return out, nil
}

// startAll starts the hosts' containers in parallel.
func (d *docker) startAll(ctx context.Context, cfg *config, own owner, image string, hosts []*fakesite.Host, nets map[string]*zoneNet, bundle []byte) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, h := range hosts {
		wg.Go(func() {
			if err := d.start(ctx, cfg, own, image, h, nets, bundle); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// aliases are a host's names on its networks: its name, its aliases and
// the names its certificate carries.
func aliases(h *fakesite.Host) []string {
	var out []string
	for _, a := range slices.Concat([]string{h.Name}, h.Aliases, h.CertNames()) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// start runs one host and waits for its ready (or down) line.
func (d *docker) start(ctx context.Context, cfg *config, own owner, image string, h *fakesite.Host, nets map[string]*zoneNet, bundle []byte) error {
	labels := own.labels()
	labels[LabelRole] = h.Name
	var names []string
	netAliases := map[string][]string{}
	for _, z := range h.Zones {
		names = append(names, nets[z].name)
		netAliases[nets[z].name] = aliases(h)
	}
	ready := "cutover-fake: " + h.Name + " ready on "
	if h.Down {
		ready = "cutover-fake: " + h.Name + " down"
	}
	ip := func(z string) *dnetwork.EndpointIPAMConfig {
		return &dnetwork.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(h.Addresses[z])}
	}
	// The container is created on its first network (older engines take
	// one at creation), joined to the others with their fixed addresses,
	// then started.
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:          image,
			Name:           "cutover-" + own.run + "-" + h.Name,
			Cmd:            []string{"--bundle", BundlePath, "--host", h.Name},
			Labels:         labels,
			Networks:       names[:1],
			NetworkAliases: netAliases,
			EndpointSettingsModifier: func(eps map[string]*dnetwork.EndpointSettings) {
				if ep := eps[names[0]]; ep != nil {
					ep.IPAMConfig = ip(h.Zones[0])
				}
			},
			Files: []testcontainers.ContainerFile{
				{Reader: bytes.NewReader(bundle), ContainerFilePath: BundlePath, FileMode: 0o400},
			},
			WaitingFor: wait.ForLog(ready).WithStartupTimeout(cfg.startup).WithPollInterval(20 * time.Millisecond),
		},
		Logger: cfg.logger,
	})
	if err != nil {
		return fmt.Errorf("containers: create %s: %w", h.Name, err)
	}
	for i, z := range h.Zones[1:] {
		_, err := d.cli.NetworkConnect(ctx, names[i+1], client.NetworkConnectOptions{
			Container:      ctr.GetContainerID(),
			EndpointConfig: &dnetwork.EndpointSettings{Aliases: aliases(h), IPAMConfig: ip(z)},
		})
		if err != nil {
			return fmt.Errorf("containers: connect %s to the %s network: %w", h.Name, z, err)
		}
	}
	if err := ctr.Start(ctx); err != nil {
		return fmt.Errorf("containers: start %s: %w%s", h.Name, err, logTail(ctr))
	}
	return nil
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

func pid() int { return os.Getpid() }

func hostname() string {
	h, _ := os.Hostname()
	return h
}
