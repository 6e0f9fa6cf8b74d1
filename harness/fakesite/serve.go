package fakesite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/target"
)

// NetOf is the site network as launched: the resolver of each DNS view and
// a connect entry from every plan address whose service listens elsewhere.
func NetOf(p *Plan, addrs map[string]string) Net {
	n := Net{Resolvers: map[string]string{}}
	for _, h := range p.Hosts {
		for _, s := range h.Services {
			actual, ok := addrs[ServiceKey(h.Name, s.Port)]
			if !ok {
				continue
			}
			if d, isDNS := s.Settings.(*DNSSettings); isDNS {
				n.Resolvers[d.View] = actual
				continue
			}
			if h.Address != "" && actual != h.PlanAddr(s.Port) {
				n.ConnectTo = append(n.ConnectTo, target.ConnectTo{From: h.PlanAddr(s.Port), To: actual})
			}
		}
	}
	return n
}

// ServeHost runs one host of the bundle in bundleFile in the foreground
// until ctx is done: the entry point of the containers. Every service binds
// where bind says; nil binds its plan port on all addresses. It prints one
// line that the launcher waits for, with the bound addresses by port,
//
//	cutover-fake: <host> ready on [::]:53,[::]:8443
//
// It also serves the control listener (ControlPort) through which the
// harness moves the host's clock with the site's and, once every host
// runs, waits for the host's services to settle (Settle). Or, for a host down by plan, "cutover-fake: <host> down" (it then listens
// on nothing: a dead node whose connections are refused).
func ServeHost(ctx context.Context, reg *Registry, bundleFile, name string, bind func(port int) string, out io.Writer) error {
	data, err := os.ReadFile(bundleFile)
	if err != nil {
		return fmt.Errorf("fakesite: read bundle: %w", err)
	}
	b, err := UnmarshalBundle(data, reg)
	if err != nil {
		return err
	}
	h, err := b.Plan.Host(name)
	if err != nil {
		return err
	}
	if h.Down {
		fmt.Fprintf(out, "cutover-fake: %s down\n", name)
		<-ctx.Done()
		return nil
	}
	if bind == nil {
		bind = func(port int) string { return ":" + strconv.Itoa(port) }
	}
	clk := clock.New(b.Plan.ClockOffset)
	ctl, err := startControl(bind(ControlPort), clk)
	if err != nil {
		return err
	}
	defer ctl.Close()
	run, err := StartHost(ctx, reg, b, name, HostOptions{Bind: bind, Clock: clk})
	if err != nil {
		return err
	}
	// A service that must reach another host (the connector its IM&P
	// link) settles once every host runs: the launcher asks for it on the
	// control listener then.
	ctl.started(run)
	var ports []string
	for _, p := range h.Ports() {
		ports = append(ports, run.Addrs[p])
	}
	fmt.Fprintf(out, "cutover-fake: %s ready on %s\n", name, strings.Join(ports, ","))
	<-ctx.Done()
	if err := run.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("fakesite: close %s: %w", name, err)
	}
	return nil
}
