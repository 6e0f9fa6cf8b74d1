package disc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

func lookUpSRV(ctx context.Context, service, which string) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var domains []string
	switch which {
	case "every sign-in domain":
		domains = w.T.Site.SignInDomains()
	case "every voice services domain":
		domains = w.T.Site.VoiceDomains()
	case "every UC Manager Profile domain":
		domains = w.T.Site.ProfileDomains()
	case "the services domain":
		domains = []string{w.T.Site.Domains.Services}
	}
	st.lookups = nil
	var ev strings.Builder
	for _, d := range domains {
		name := service + "." + d
		l := srvLookup{domain: d, name: name}
		l.records, l.answer, l.err = w.T.LookupSRV(ctx, w.Where, name)
		st.lookups = append(st.lookups, l)
		fmt.Fprintf(&ev, ";; %s SRV from %s (%s)\n", name, w.Where, w.T.Resolver(w.Where))
		if l.answer != nil {
			ev.WriteString(l.answer.String())
		}
		if l.err != nil {
			fmt.Fprintf(&ev, ";; error: %v\n", l.err)
		}
		ev.WriteString("\n")
	}
	if len(domains) == 0 {
		return ctx, steps.NotApplicable("the target has no %s", strings.TrimPrefix(which, "every "))
	}
	return steps.Attach(ctx, "DNS answers", ev.String()), nil
}

func srvWhat(err error) string {
	switch {
	case errors.Is(err, dnsclient.ErrNXDomain):
		return "NXDOMAIN"
	case errors.Is(err, dnsclient.ErrNoData):
		return "no SRV records (NODATA)"
	case errors.Is(err, dnsclient.ErrServiceAbsent):
		return `the "." target (service decidedly absent)`
	}
	return err.Error()
}

func everyDomainHasTarget(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, l := range st.lookups {
		switch {
		case l.err != nil:
			f.AddErr(l.err, "%s SRV from %s: want at least 1 target, got %s from %s", l.name, w.Where, srvWhat(l.err), w.T.Resolver(w.Where))
		case len(l.records) == 0:
			f.Add("%s SRV from %s: want at least 1 target, got none from %s", l.name, w.Where, w.T.Resolver(w.Where))
		}
		if l.err != nil && !errors.Is(l.err, target.ErrNotTested) && !target.IsTimeout(l.err) || l.err == nil && len(l.records) == 0 {
			hintPublish(ctx, w, l.name)
		}
	}
	return f.Err()
}

// hintPublish suggests the record a missing SRV name needs, with the
// target's own hosts: UCM nodes for _cisco-uds, the Expressway-E nodes for
// _collab-edge, the IM&P nodes for _cuplogin.
func hintPublish(ctx context.Context, w *steps.World, name string) {
	zone := "internal"
	var hosts []string
	switch {
	case strings.HasPrefix(name, "_collab-edge."):
		zone, hosts = "public", w.T.Site.Expressway.Edge
	case strings.HasPrefix(name, "_cuplogin."):
		hosts = w.T.Site.IMP.Nodes
	case strings.HasPrefix(name, "_cisco-uds."):
		hosts = w.T.Site.AllUCMNodes()
	}
	if len(hosts) == 0 {
		return
	}
	var rrs []string
	for i, h := range hosts {
		rrs = append(rrs, fmt.Sprintf("%s. 300 IN SRV %d 10 8443 %s.", name, 10*(i+1), h))
		if i == 1 {
			break
		}
	}
	steps.Hint(ctx, "publish in the %s zone: %s", zone, strings.Join(rrs, "  "))
}

func noDomainHasTarget(ctx context.Context) error {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	for _, l := range st.lookups {
		if l.err == nil && len(l.records) > 0 {
			f.Add("%s SRV from %s: want NXDOMAIN or no records, got %d target(s) (%s) from %s",
				l.name, w.Where, len(l.records), targets(l.records), w.T.Resolver(w.Where))
			steps.Hint(ctx, "remove %s SRV (%d record(s): %s) from the DNS %s clients use", l.name, len(l.records), targets(l.records), w.Where)
		} else if l.err != nil && !errors.Is(l.err, dnsclient.ErrNXDomain) && !errors.Is(l.err, dnsclient.ErrNoData) && !errors.Is(l.err, dnsclient.ErrServiceAbsent) {
			f.AddErr(l.err, "%s SRV from %s: want a clean NXDOMAIN or no records, got %v", l.name, w.Where, l.err)
		}
	}
	return f.Err()
}

func targets(rs []dnsclient.SRV) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = net.JoinHostPort(strings.TrimSuffix(r.Target, "."), strconv.Itoa(int(r.Port)))
	}
	return strings.Join(parts, ", ")
}

func everyTargetUsesPort(ctx context.Context, port int) error {
	st := state(ctx)
	var f steps.Failures
	for _, l := range st.lookups {
		for _, r := range l.records {
			if int(r.Port) != port {
				f.Add("%s SRV: target %s: want port %d, got %d", l.name, r.Target, port, r.Port)
			}
		}
	}
	return f.Err()
}

func everyTargetIsFQDN(ctx context.Context, resolves string) (context.Context, error) {
	w, st := steps.WorldFrom(ctx), state(ctx)
	var f steps.Failures
	var ev strings.Builder
	targets := 0
	for _, l := range st.lookups {
		if l.err != nil && (errors.Is(l.err, target.ErrNotTested) || target.IsTimeout(l.err)) {
			// A lookup that could not be made leaves its targets
			// unknown: not a pass. (No records at all is another
			// check's failure, and nothing to check here.)
			f.AddErr(l.err, "%s SRV from %s: %s", l.name, w.Where, srvWhat(l.err))
		}
		targets += len(l.records)
		for _, r := range l.records {
			if err := dnsclient.CheckTarget(r.Target); err != nil {
				f.Add("%s SRV: target %q: want a fully qualified host name, got %v", l.name, r.Target, err)
				continue
			}
			if resolves == "" {
				continue
			}
			addrs, cnames, err := w.T.LookupHost(ctx, w.Where, r.Target)
			fmt.Fprintf(&ev, "%s from %s: %v cnames=%v err=%v\n", r.Target, w.Where, addrs, cnames, err)
			if err != nil {
				f.AddErr(err, "%s SRV: target %s: want A/AAAA from %s, got %s", l.name, r.Target, w.Where, srvWhat(err))
			} else if len(cnames) > 0 {
				f.Add("%s SRV: target %s is an alias (CNAME %s); RFC 2782 wants the host's own name", l.name, r.Target, strings.Join(cnames, " → "))
			}
		}
	}
	if ev.Len() > 0 {
		ctx = steps.Attach(ctx, "target resolution", ev.String())
	}
	if err := f.Err(); err != nil || targets > 0 {
		return ctx, err
	}
	return ctx, steps.NotApplicable("no SRV target to check: the lookups found no records")
}

// discoveryRecords are the SRV names a client at w asks for domain d.
func discoveryRecords(w target.Where, s *target.Site, d string) []string {
	if w == target.Outside {
		return []string{discovery.EdgeService + "." + d}
	}
	out := []string{discovery.UDSService + "." + d}
	if d == s.Domains.Services {
		out = append(out, discovery.CUPService+"."+d)
	}
	return out
}

func sameOverTCP(ctx context.Context) (context.Context, error) {
	w := steps.WorldFrom(ctx)
	var f steps.Failures
	var ev strings.Builder
	for _, d := range w.T.Site.SignInDomains() {
		for _, name := range discoveryRecords(w.Where, w.T.Site, d) {
			udp, uerr := w.T.DNS(w.Where).Exchange(ctx, name, dns.TypeSRV)
			tcp, terr := w.T.ExchangeTCP(ctx, w.Where, name, dns.TypeSRV)
			fmt.Fprintf(&ev, ";; %s over UDP (then TCP on TC):\n%s\n;; over TCP:\n%s\n", name, answerText(udp, uerr), answerText(tcp, terr))
			switch {
			case terr != nil:
				f.AddErr(terr, "%s SRV over TCP to %s: want an answer (RFC 7766: DNS over TCP is mandatory), got %v", name, w.T.Resolver(w.Where), terr)
			case uerr != nil:
				f.AddErr(uerr, "%s SRV over UDP to %s: want an answer, got %v", name, w.T.Resolver(w.Where), uerr)
			case udp.Transport == "udp" && udp.Size > dns.MinMsgSize:
				// The query had no EDNS0: the answer must fit or be truncated.
				f.Add("%s SRV over UDP to %s: want at most %d bytes or the TC bit (RFC 1035 §4.2.1: no EDNS0 was sent), got %d bytes without TC",
					name, w.T.Resolver(w.Where), dns.MinMsgSize, udp.Size)
			default:
				if a, b := rrset(udp), rrset(tcp); a != b {
					f.Add("%s SRV: want the same records over UDP and TCP, got UDP [%s] vs TCP [%s]", name, a, b)
				}
			}
		}
	}
	return steps.Attach(ctx, "UDP and TCP answers", ev.String()), f.Err()
}

func answerText(a *dnsclient.Answer, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return a.String()
}

func rrset(a *dnsclient.Answer) string {
	var out []string
	for _, rr := range a.Msg.Answer {
		c := dns.Copy(rr)
		c.Header().Ttl = 0 // caches may differ in TTL only
		out = append(out, c.String())
	}
	sort.Strings(out)
	return strings.Join(out, " | ")
}
