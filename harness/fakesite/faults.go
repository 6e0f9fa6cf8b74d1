package fakesite

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"example.com/cutover/harness/target"
)

// Fault is one way a site can be broken. Every check must be killed by at
// least one fault (cutover selftest proves it); Kills lists the checks that
// must fail when the fault is injected alone, and no other may.
type Fault struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Kills       []string `json:"kills"`
	// Errors lists the checks that must report that they could not test
	// (ERROR, not FAIL) when the fault is injected alone: a fault of the
	// suite's own path to the site, such as a resolver that never answers.
	Errors []string `json:"errors,omitempty"`
	// apply edits the plan; it fails when the plan lacks what the fault
	// names (a host, a user, a service), so a fault never silently does
	// nothing.
	apply func(*Plan) error
	// dnsTimeout, when set, shortens the suite's DNS timeout: a fault that
	// makes DNS time out need not make the selftest wait 3 s each; every
	// other call keeps its own timeout, so nothing else can time out
	// because the machine is busy.
	dnsTimeout time.Duration
	// silent marks a fault after which a message never comes: the suite
	// waits silentWait for a message once it is sent
	// (limits.delivery_timeout), not the 10 s call timeout each time. The
	// fakes deliver in milliseconds, so the messages that do come are
	// still seen; every network call, and a federation probe's
	// negotiation, keeps its own timeout.
	silent bool
}

// silentWait is the delivery timeout of a silent fault: 3 s, where the
// fakes deliver in milliseconds even with the selftest's four faulted
// sites at once.
const silentWait = 3 * time.Second

// catalogue is every capability's faults, one list per capability file
// (faults_<capability>.go).
func catalogue() []Fault {
	out := slices.Concat(
		discoveryFaults(),
		ssoFaults(),
		sipFaults(),
		xmppFaults(),
		hybridFaults(),
	)
	for _, also := range []map[string]Also{sipAlso()} {
		for i := range out {
			if a, ok := also[out[i].Name]; ok {
				out[i].Kills = slices.Concat(out[i].Kills, a.Kills)
				out[i].Errors = slices.Concat(out[i].Errors, a.Errors)
			}
		}
	}
	return withJourney(out)
}

// JourneyStageChecks are the per-user checks whose paths the journey
// (JRNY-01) follows, stage by stage and in the journey's order, with the
// same harness code: a fault that fails one of them fails the journey, and
// one that leaves one of them unable to test leaves the journey so. A
// user's day ends at the first stage that breaks, so the first of these
// checks a fault touches decides. Selftest holds the journey to what this
// derives, like every other kill list.
var JourneyStageChecks = []string{"DISC-20", "DISC-17", "SSO-14", "SIPO-02", "XFED-07", "HYB-03"}

// JourneyCheck is the journey's check ID.
const JourneyCheck = "JRNY-01"

func withJourney(faults []Fault) []Fault {
	for i := range faults {
		f := &faults[i]
		for _, id := range JourneyStageChecks {
			if slices.Contains(f.Kills, id) {
				f.Kills = append(slices.Clone(f.Kills), JourneyCheck)
				break
			}
			if slices.Contains(f.Errors, id) {
				f.Errors = append(slices.Clone(f.Errors), JourneyCheck)
				break
			}
		}
	}
	return faults
}

// Also is what a fault of another capability does to a capability's
// checks: ucm3's expired Tomcat certificate breaks its SIP OAuth port
// too. Each capability keeps its own in its faults file, by fault name,
// so the other capability's list stays as it is written.
type Also struct {
	Kills, Errors []string
}

// Catalogue returns every fault, sorted by name.
func Catalogue() []Fault {
	out := catalogue()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a fault by name.
func Lookup(name string) (Fault, bool) {
	for _, f := range catalogue() {
		if f.Name == name {
			return f, true
		}
	}
	return Fault{}, false
}

// Names lists every fault name, sorted.
func Names() []string {
	var out []string
	for _, f := range Catalogue() {
		out = append(out, f.Name)
	}
	return out
}

// FaultsFor returns the names of the faults that must kill check id.
func FaultsFor(id string) []string {
	var out []string
	for _, f := range Catalogue() {
		if slices.Contains(f.Kills, id) {
			out = append(out, f.Name)
		}
	}
	return out
}

// ErrUnknownFault names a fault that is not in the catalogue.
var ErrUnknownFault = errors.New("fakesite: unknown fault")

// Apply injects faults by name. A fault that names something the plan
// lacks is an error wrapping ErrPlan.
func (p *Plan) Apply(faults ...string) error {
	for _, name := range faults {
		f, ok := Lookup(name)
		if !ok {
			return fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, name, strings.Join(Names(), ", "))
		}
		if err := f.apply(p); err != nil {
			return fmt.Errorf("fakesite: fault %s: %w", name, err)
		}
		if f.dnsTimeout > 0 {
			p.Site.Limits.DNSTimeout = target.Duration(f.dnsTimeout)
		}
		if f.silent {
			p.Site.Limits.DeliveryTimeout = target.Duration(silentWait)
		}
		p.Faults = append(p.Faults, name)
	}
	return nil
}

// Typed edits the faults are written with. Each fails when what it edits
// is missing.

// down marks hosts as dead.
func down(names ...string) func(*Plan) error {
	return editHosts(func(h *Host) error { h.Down = true; return nil }, names...)
}

// editHosts applies f to the named hosts.
func editHosts(f func(*Host) error, names ...string) func(*Plan) error {
	return func(p *Plan) error {
		for _, n := range names {
			h, err := p.Host(n)
			if err != nil {
				return err
			}
			if err := f(h); err != nil {
				return err
			}
		}
		return nil
	}
}

// certOf edits a host's certificate spec.
func certOf(host string, f func(*CertSpec)) func(*Plan) error {
	return editHosts(func(h *Host) error {
		if h.Cert == nil {
			h.Cert = &CertSpec{}
		}
		f(h.Cert)
		return nil
	}, host)
}

// every applies f to the settings of every service of kind.
func every[T any](kind string, f func(*T)) func(*Plan) error {
	return func(p *Plan) error {
		return Each(p, kind, func(_ *Host, s *T) error { f(s); return nil })
	}
}

// forUser is every[T] for a fault about a test user, who must exist.
func forUser[T any](kind, user string, f func(*T)) func(*Plan) error {
	return func(p *Plan) error {
		if _, err := p.User(user); err != nil {
			return err
		}
		return every(kind, f)(p)
	}
}

// inView applies f to the DNS view's settings.
func inView(view string, f func(*DNSSettings) error) func(*Plan) error {
	return func(p *Plan) error {
		d, err := p.DNS(view)
		if err != nil {
			return err
		}
		return f(d)
	}
}

// owned returns the indexes of the records owned by owner.
func (d *DNSSettings) owned(owner string) []int {
	var out []int
	for i, l := range d.Records {
		if strings.HasPrefix(l, owner+" ") {
			out = append(out, i)
		}
	}
	return out
}

// drop removes every record owned by owner from a view.
func drop(view, owner string) func(*Plan) error {
	return inView(view, func(d *DNSSettings) error {
		idx := d.owned(owner)
		if len(idx) == 0 {
			return fmt.Errorf("%w: the %s view has no %s records", ErrPlan, view, owner)
		}
		d.Records = slices.DeleteFunc(d.Records, func(l string) bool { return strings.HasPrefix(l, owner+" ") })
		return nil
	})
}

// replace rewrites old to new in the records owned by owner.
func replace(view, owner, old, new string) func(*Plan) error {
	return inView(view, func(d *DNSSettings) error {
		n := 0
		for _, i := range d.owned(owner) {
			if strings.Contains(d.Records[i], old) {
				d.Records[i] = strings.Replace(d.Records[i], old, new, 1)
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("%w: no %s record in the %s view contains %q", ErrPlan, owner, view, old)
		}
		return nil
	})
}

// copyRecords copies the records owned by owner from one view to another.
func copyRecords(from, to, owner string) func(*Plan) error {
	return func(p *Plan) error {
		src, err := p.DNS(from)
		if err != nil {
			return err
		}
		dst, err := p.DNS(to)
		if err != nil {
			return err
		}
		idx := src.owned(owner)
		if len(idx) == 0 {
			return fmt.Errorf("%w: the %s view has no %s records", ErrPlan, from, owner)
		}
		for _, i := range idx {
			dst.Records = append(dst.Records, src.Records[i])
		}
		return nil
	}
}

// all runs edits in order.
func all(edits ...func(*Plan) error) func(*Plan) error {
	return func(p *Plan) error {
		for _, e := range edits {
			if err := e(p); err != nil {
				return err
			}
		}
		return nil
	}
}
