// Package report turns godog's cucumber JSON into a results model and
// renders it as a console summary, a self-contained HTML page and JSON.
//
// The runner runs godog with the "cucumber" formatter writing to a buffer,
// hands the bytes to FromCucumberJSON, wraps the checks in a Run and calls
// WriteSummary, WriteHTML or WriteJSON. Redact scrubs secrets from errors and
// evidence before anything is written.
package report

import (
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"example.com/cutover/harness/checkid"
)

// ErrNilRun is returned by the writers when given a nil *Run.
var ErrNilRun = errors.New("report: nil run")

// ErrCucumberJSON wraps every reason cucumber JSON does not parse.
var ErrCucumberJSON = errors.New("report: malformed cucumber json")

// Status is the outcome of a step or a check, spelled as in cucumber JSON.
type Status string

// Statuses as written by godog's cucumber formatter.
const (
	StatusPassed    Status = "passed"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"
	StatusUndefined Status = "undefined"
	StatusPending   Status = "pending"
	StatusAmbiguous Status = "ambiguous"
)

// failing reports whether s makes a check fail. Undefined, pending and
// ambiguous steps count as failures because a check that did not run its
// assertion has not shown conformance.
func (s Status) failing() bool {
	switch s {
	case StatusFailed, StatusUndefined, StatusPending, StatusAmbiguous:
		return true
	}
	return false
}

// Evidence is one attachment made with godog.Attach. Data holds the decoded
// bytes (the cucumber JSON carries them base64-encoded).
type Evidence struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
}

// Step is one executed Gherkin step.
type Step struct {
	Keyword  string        `json:"keyword"`
	Text     string        `json:"text"`
	Status   Status        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Evidence []Evidence    `json:"evidence,omitempty"`
}

// Verdict is what a check says about the site.
type Verdict string

// Verdicts.
const (
	// Pass: the site does what the requirement says.
	Pass Verdict = "pass"
	// Fail: the site does not.
	Fail Verdict = "fail"
	// Error: the suite could not test (a resolver that never answered, a
	// refused test credential, a safety limit, an interrupted run): never a
	// pass, never the site's fault.
	Error Verdict = "error"
	// NotApplicable: nothing to check on this site (no UC Manager Profile
	// domain, no configuration URL), with the reason.
	NotApplicable Verdict = "not_applicable"
	// Waived: the check failed, and a waiver in force accepts it (owner,
	// reason, ticket, expiry).
	Waived Verdict = "waived"
)

// Verdicts lists the verdicts in report order: what needs attention first.
var Verdicts = []Verdict{Fail, Error, Waived, NotApplicable, Pass}

// valid reports whether v is one of Verdicts.
func (v Verdict) valid() bool { return slices.Contains(Verdicts, v) }

// worse reports whether v needs more attention than w (Verdicts' order).
func (v Verdict) worse(w Verdict) bool {
	return slices.Index(Verdicts, v) < slices.Index(Verdicts, w)
}

// Label is the verdict as the console and the reports print it.
func (v Verdict) Label() string {
	switch v {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	case Error:
		return "ERROR"
	case NotApplicable:
		return "N/A"
	case Waived:
		return "WAIVED"
	}
	return strings.ToUpper(string(v))
}

// VerdictMediaType marks the attachment a step makes to give its check a
// verdict other than pass or fail; its body is the verdict, a newline and
// the reason. The steps make it (steps.Registry); FromCucumberJSON reads it
// and keeps it out of the evidence.
const VerdictMediaType = "application/x-cutover-verdict"

// SubjectsMediaType marks the attachment in which a per-user check gives
// the outcome for each user (or user and device) it covered: one JSON
// Subject per line. The steps make it; FromCucumberJSON reads it into
// Check.Subjects and keeps it out of the evidence.
const SubjectsMediaType = "application/x-cutover-subjects"

// Subject is the outcome of a per-user check for one of its subjects
// ("alice", "alice/CSFALICE"). JUnit writes one test case per subject.
type Subject struct {
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason,omitempty"`
	// Waiver is the waiver that accepts this subject's failure.
	Waiver *Waiver `json:"waiver,omitempty"`
}

// SiteFailureMediaType marks the attachment by which the steps say that a
// check failed for a reason of the site as a whole, not only its
// subjects': Check.SiteFailure (a waiver for the subjects leaves it FAIL).
const SiteFailureMediaType = "application/x-cutover-site-failure"

// HintMediaType marks an attachment in which a step gives a remediation
// hint computed from what it saw ("publish _collab-edge._tls.D …"); it
// goes to Check.Hints, not the evidence.
const HintMediaType = "application/x-cutover-hint"

// Severities, as features/CHECKS.md defines them: a scenario carries one
// as a tag (@blocker, @major, @minor).
const (
	// Blocker: users cannot sign in or register on cutover day.
	Blocker = "blocker"
	// Major: some users, platforms or locations fail, or security is
	// weakened.
	Major = "major"
	// Minor: degraded, works with a workaround.
	Minor = "minor"
)

// Severities in report order.
var Severities = []string{Blocker, Major, Minor}

// Waiver accepts a known failure for a while: a check, optionally for one
// user or host only, with who owns it, why, the ticket and when it
// expires (harness/waiver reads them from a file).
type Waiver struct {
	ID      string `json:"id" yaml:"id"`
	User    string `json:"user,omitempty" yaml:"user,omitempty"`
	Host    string `json:"host,omitempty" yaml:"host,omitempty"`
	Owner   string `json:"owner" yaml:"owner"`
	Reason  string `json:"reason" yaml:"reason"`
	Ticket  string `json:"ticket,omitempty" yaml:"ticket,omitempty"`
	Expires string `json:"expires" yaml:"expires"`
	// Where is the waiver's file:line.
	Where string `json:"where,omitempty" yaml:"-"`
}

// WaiverStatus is what became of one waiver in a run.
type WaiverStatus struct {
	Waiver Waiver `json:"waiver"`
	// State is applied (it accepted a failure), expired (past its date: the
	// run fails), removable (its check now passes: the waiver can go) or
	// unused (its check did not run or did not fail where it says).
	State string `json:"state"`
	// Note says what it accepted or why it is not in force.
	Note string `json:"note,omitempty"`
}

// Waiver states.
const (
	WaiverApplied   = "applied"
	WaiverExpired   = "expired"
	WaiverRemovable = "removable"
	WaiverUnused    = "unused"
)

// Check is one scenario, identified by its @AREA-NN tag.
type Check struct {
	// ID is the check ID tag without "@", e.g. "DISC-03"; empty if the
	// scenario has none.
	ID string `json:"id"`
	// Capability is the capability tag without "@", e.g. "discovery".
	Capability string `json:"capability"`
	// Title is the scenario name.
	Title string `json:"title"`
	// Source is the text after "Source:" in the scenario description.
	Source string `json:"source"`
	// Feature is the feature file URI as godog reports it.
	Feature string   `json:"feature"`
	Line    int      `json:"line"`
	Tags    []string `json:"tags,omitempty"`
	// Verdict is what the check says: pass, fail, error (could not test) or
	// not_applicable.
	Verdict Verdict `json:"verdict"`
	// Status is the scenario's cucumber status: failed if any step or hook
	// failed, was undefined, pending or ambiguous; skipped if every step was
	// skipped (or there were none); passed otherwise.
	Status Status `json:"status"`
	// Reason is one line: why the check did not pass (the first line of the
	// first failing step's error, or why it could not test or does not
	// apply), at most 200 characters.
	Reason string `json:"reason,omitempty"`
	// Error is the first failing step's full error text.
	Error string `json:"error,omitempty"`
	Steps []Step `json:"steps,omitempty"`
	// Evidence is every attachment of the scenario, hooks' and steps', in
	// the order they appear in the cucumber JSON.
	Evidence []Evidence `json:"evidence,omitempty"`
	// Subjects are the per-user outcomes of a check that covers every
	// test user one by one; empty for a check of the site as a whole.
	Subjects []Subject `json:"subjects,omitempty"`
	// Severity is the check's severity tag: blocker, major or minor.
	Severity string `json:"severity,omitempty"`
	// Remediation is the scenario's "Remediation:" line: what a site
	// engineer does when the check fails.
	Remediation string `json:"remediation,omitempty"`
	// Hints are remediation hints the steps computed from what they saw.
	Hints []string `json:"hints,omitempty"`
	// Waiver is the waiver that made a failing check WAIVED.
	Waiver *Waiver `json:"waiver,omitempty"`
	// SiteFailure: the check failed for a reason beyond its subjects'.
	SiteFailure bool          `json:"site_failure,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
}

// Run is one execution of the suite against a target.
type Run struct {
	// Tool is the cutover version that ran ("cutover v1.2.3 (rev …)").
	Tool string `json:"tool,omitempty"`
	// Command is the command line, secrets redacted.
	Command []string `json:"command,omitempty"`
	Target  string   `json:"target"`
	// Tags is the tag filter ("" for every check); NotSelected the checks
	// it left out, by ID.
	Tags        string   `json:"tags,omitempty"`
	NotSelected []string `json:"not_selected,omitempty"`
	// Interrupted says why the run stopped early ("" when it did not): a
	// signal, the run deadline. The checks it cut short are errors.
	Interrupted string `json:"interrupted,omitempty"`
	// TLSVerification is "on", or says that the target turned it off.
	TLSVerification string `json:"tls_verification,omitempty"`
	// Shard is "K/N" when the run is one shard of a sharded run;
	// OtherShards are the selected checks the other shards run.
	Shard       string   `json:"shard,omitempty"`
	OtherShards []string `json:"other_shards,omitempty"`
	// Profile decides which verdicts fail the run (ProfileCertification
	// when empty).
	Profile string `json:"profile,omitempty"`
	// Waivers is what became of each waiver given to the run.
	Waivers []WaiverStatus `json:"waivers,omitempty"`
	// Contacts is what the process had sent to each host when the run
	// ended (cutover lab plan says what it may send).
	Contacts []Contact     `json:"contacts,omitempty"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Checks   []Check       `json:"checks"`
}

// Contact is what a run sent one host: DNS datagrams, connections,
// requests and messages, and how many carried a test user's credential.
type Contact struct {
	Host        string `json:"host"`
	Sent        int    `json:"sent"`
	Credentials int    `json:"credentials,omitempty"`
}

// CapabilitySummary counts the checks of one capability by verdict.
// Failing holds the checks that failed, could not test or were waived:
// failures first, then could-not-test, then waived; within each, blockers
// first, then major, minor and unrated; then by ID.
type CapabilitySummary struct {
	Capability string
	Counts     map[Verdict]int
	Failing    []Check
}

// With returns the checks of a verdict, sorted by ID.
func (r *Run) With(v Verdict) []Check {
	if r == nil {
		return nil
	}
	var out []Check
	for _, c := range r.Checks {
		if c.Verdict == v {
			out = append(out, c)
		}
	}
	sortChecks(out)
	return out
}

// Failed returns the failing checks sorted by ID.
func (r *Run) Failed() []Check { return r.With(Fail) }

// Counts counts the checks by verdict.
func (r *Run) Counts() map[Verdict]int {
	out := map[Verdict]int{}
	if r == nil {
		return out
	}
	for _, c := range r.Checks {
		out[c.Verdict]++
	}
	return out
}

// Result is the run's verdict under its profile: interrupted when it
// stopped early; fail when no check ran, a waiver has expired, or a check
// has a verdict the profile fails on (Fail before Error before Waived);
// else pass.
func (r *Run) Result() string {
	if r == nil || len(r.Checks) == 0 {
		return string(Fail)
	}
	if r.Interrupted != "" {
		return "interrupted"
	}
	for _, w := range r.Waivers {
		if w.State == WaiverExpired {
			return string(Fail)
		}
	}
	prof, _ := LookupProfile(r.Profile)
	n := r.Counts()
	for _, v := range Verdicts {
		if n[v] > 0 && prof.fails(v) {
			if v == Waived {
				return string(Fail)
			}
			return string(v)
		}
	}
	return string(Pass)
}

// capabilityRank orders capabilities as a cutover goes (checkid), checks
// without a capability last.
func capabilityRank(c string) int { return checkid.Rank(c) }

func lessCapability(a, b string) bool {
	ra, rb := capabilityRank(a), capabilityRank(b)
	if ra != rb {
		return ra < rb
	}
	return a < b
}

// ByCapability summarises the checks per capability, ordered discovery, sso,
// sip, xmpp, hybrid, then any others alphabetically, then checks with no
// capability tag (Capability "").
func (r *Run) ByCapability() []CapabilitySummary {
	if r == nil {
		return nil
	}
	var out []CapabilitySummary
	for _, g := range groupChecks(r.Checks) {
		s := CapabilitySummary{Capability: g.Capability, Counts: map[Verdict]int{}}
		for _, c := range g.Checks {
			s.Counts[c.Verdict]++
			if c.Verdict == Fail || c.Verdict == Error || c.Verdict == Waived {
				s.Failing = append(s.Failing, c)
			}
		}
		SortAttention(s.Failing)
		out = append(out, s)
	}
	return out
}

type checkGroup struct {
	Capability string
	Checks     []Check
}

// groupChecks groups checks by capability in capability order, each group
// sorted by ID.
func groupChecks(checks []Check) []checkGroup {
	idx := map[string]int{}
	var groups []checkGroup
	for _, c := range checks {
		i, ok := idx[c.Capability]
		if !ok {
			i = len(groups)
			idx[c.Capability] = i
			groups = append(groups, checkGroup{Capability: c.Capability})
		}
		groups[i].Checks = append(groups[i].Checks, c)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		return lessCapability(groups[i].Capability, groups[j].Capability)
	})
	for i := range groups {
		sortChecks(groups[i].Checks)
	}
	return groups
}

// SortAttention orders checks by what needs attention first: verdict
// (fail, error, waived, n/a, pass), then severity (blocker, major, minor,
// none), then ID.
func SortAttention(cs []Check) {
	rank := func(list []string, v string) int {
		if i := slices.Index(list, v); i >= 0 {
			return i
		}
		return len(list)
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if va, vb := slices.Index(Verdicts, a.Verdict), slices.Index(Verdicts, b.Verdict); va != vb {
			return va < vb
		}
		if sa, sb := rank(Severities, a.Severity), rank(Severities, b.Severity); sa != sb {
			return sa < sb
		}
		return compareIDs(a.ID, b.ID) < 0
	})
}

func sortChecks(cs []Check) {
	sort.SliceStable(cs, func(i, j int) bool { return compareIDs(cs[i].ID, cs[j].ID) < 0 })
}

// compareIDs orders IDs naturally: runs of digits compare as numbers, so
// DISC-2 < DISC-10. Equal numbers with different zero padding fall back to
// plain string order to keep the sort total.
func compareIDs(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				if len(na) < len(nb) {
					return -1
				}
				return 1
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		i++
		j++
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Redact applies redact to every Reason, Error, step Error and Evidence Data
// of r in place. Steps are expected to redact before attaching; this is the
// second line of defence before anything leaves the process. A nil redact
// does nothing.
func Redact(r *Run, redact func(string) string) {
	if r == nil || redact == nil {
		return
	}
	for i := range r.Command {
		r.Command[i] = redact(r.Command[i])
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Reason = redact(c.Reason)
		c.Error = redact(c.Error)
		for j := range c.Evidence {
			c.Evidence[j].Data = redact(c.Evidence[j].Data)
		}
		for j := range c.Steps {
			s := &c.Steps[j]
			s.Error = redact(s.Error)
			for k := range s.Evidence {
				s.Evidence[k].Data = redact(s.Evidence[k].Data)
			}
		}
	}
}
