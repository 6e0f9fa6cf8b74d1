package waiver_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/report"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/waiver"
)

var today = time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"unknown key", "waivers:\n  - id: DISC-10\n    owner: o\n    reason: r\n    expires: 2027-01-01\n    expiry: 2027-01-01\n", "w.yaml:6: field waivers[0].expiry: unknown key"},
		{"bad date", "waivers:\n  - id: DISC-10\n    owner: o\n    reason: r\n    expires: 31/01/2027\n", "w.yaml:5: field waivers[0].expires: want a date such as 2027-01-31"},
		{"no owner", "waivers:\n  - id: DISC-10\n    reason: r\n    expires: 2027-01-01\n", "w.yaml:2: field waivers[0].owner: required"},
		{"no reason", "waivers:\n  - id: DISC-10\n    owner: o\n    expires: 2027-01-01\n", "field waivers[0].reason: required"},
		{"bad id", "waivers:\n  - id: disc-10\n    owner: o\n    reason: r\n    expires: 2027-01-01\n", "w.yaml:2: field waivers[0].id: want a check ID"},
		{"user and host", "waivers:\n  - id: DISC-10\n    user: alice\n    host: h\n    owner: o\n    reason: r\n    expires: 2027-01-01\n", "field waivers[0].host: give user or host, not both"},
		{"duplicate key", "waivers:\n  - id: DISC-10\n    id: DISC-11\n    owner: o\n    reason: r\n    expires: 2027-01-01\n", "w.yaml:3"},
		{"not a list", "waivers: DISC-10\n", "w.yaml:1"},
		{"empty", "", "empty file"},
		{"no waivers key", "other: 1\n", "unknown key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := waiver.Parse("w.yaml", []byte(tc.file))
			if !errors.Is(err, waiver.ErrWaivers) || !errors.Is(err, target.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want ErrWaivers with %q, got %v", tc.want, err)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		expires string
		expired bool
	}{{"2026-12-01", false}, {"2026-11-30", true}, {"2027-01-01", false}} {
		if got := waiver.Expired(report.Waiver{Expires: tc.expires}, today); got != tc.expired {
			t.Errorf("expires %s on %s: expired %v, want %v", tc.expires, today.Format(time.DateOnly), got, tc.expired)
		}
	}
}

// run is a run with: DISC-10 failing (site-wide, naming expe1), DISC-06
// failing for alice only, DISC-07 failing for alice and for the site,
// DISC-03 passing, DISC-05 could not test.
func run() *report.Run {
	return &report.Run{Checks: []report.Check{
		{ID: "DISC-10", Verdict: report.Fail, Error: "DISC-10: expe1.example.com: certificate lacks DNS:emea.example.com",
			Steps: []report.Step{{Status: report.StatusFailed}, {Status: report.StatusSkipped}}},
		{ID: "DISC-06", Verdict: report.Fail, Error: "DISC-06: alice: not found",
			Subjects: []report.Subject{{Name: "alice", Verdict: report.Fail}, {Name: "bob", Verdict: report.Pass}}},
		{ID: "DISC-07", Verdict: report.Fail, SiteFailure: true, Error: "DISC-07: alice: x (and 1 more: ucm2 down)",
			Subjects: []report.Subject{{Name: "alice", Verdict: report.Fail}}},
		{ID: "DISC-03", Verdict: report.Pass},
		{ID: "DISC-05", Verdict: report.Error},
	}}
}

func w(id, user, host, expires string) report.Waiver {
	return report.Waiver{ID: id, User: user, Host: host, Owner: "o", Reason: "r", Expires: expires}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		waiver  report.Waiver
		state   string
		check   string
		verdict report.Verdict
		result  string
	}{
		{"whole check", w("DISC-10", "", "", "2027-01-01"), report.WaiverApplied, "DISC-10", report.Waived, "fail"},
		{"by host named in the failure", w("DISC-10", "", "expe1.example.com", "2027-01-01"), report.WaiverApplied, "DISC-10", report.Waived, "fail"},
		{"by a host the failure does not name", w("DISC-10", "", "expe2.example.com", "2027-01-01"), report.WaiverUnused, "DISC-10", report.Fail, "fail"},
		{"expired", w("DISC-10", "", "", "2026-11-30"), report.WaiverExpired, "DISC-10", report.Fail, "fail"},
		{"by user", w("DISC-06", "alice", "", "2027-01-01"), report.WaiverApplied, "DISC-06", report.Waived, "fail"},
		{"by a user who passes", w("DISC-06", "bob", "", "2027-01-01"), report.WaiverRemovable, "DISC-06", report.Fail, "fail"},
		{"a user beside a site failure", w("DISC-07", "alice", "", "2027-01-01"), report.WaiverApplied, "DISC-07", report.Fail, "fail"},
		{"a passing check", w("DISC-03", "", "", "2027-01-01"), report.WaiverRemovable, "DISC-03", report.Pass, "fail"},
		{"could not test", w("DISC-05", "", "", "2027-01-01"), report.WaiverUnused, "DISC-05", report.Error, "fail"},
		{"a check that did not run", w("DISC-99", "", "", "2027-01-01"), report.WaiverUnused, "DISC-10", report.Fail, "fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run()
			waiver.Apply(r, []report.Waiver{tc.waiver}, today)
			if len(r.Waivers) != 1 || r.Waivers[0].State != tc.state {
				t.Fatalf("waiver state %+v, want %s", r.Waivers, tc.state)
			}
			for _, c := range r.Checks {
				if c.ID == tc.check && c.Verdict != tc.verdict {
					t.Errorf("%s is %s, want %s (%s)", c.ID, c.Verdict, tc.verdict, r.Waivers[0].Note)
				}
			}
			if got := r.Result(); got != tc.result {
				t.Errorf("result %s, want %s", got, tc.result)
			}
		})
	}
}

// TestWaivedRunPasses: with every failure waived the run passes under
// certification and fails under strict; an expired waiver fails it
// under every profile.
func TestWaivedRunPasses(t *testing.T) {
	r := &report.Run{Checks: []report.Check{
		{ID: "DISC-10", Verdict: report.Fail, Error: "DISC-10: x"},
		{ID: "DISC-03", Verdict: report.Pass},
	}}
	waiver.Apply(r, []report.Waiver{w("DISC-10", "", "", "2027-01-01")}, today)
	if got := r.Result(); got != "pass" {
		t.Errorf("certification: %s, want pass", got)
	}
	if !strings.Contains(r.Waivers[0].Note, "accepted the failure of DISC-10") {
		t.Errorf("note %q", r.Waivers[0].Note)
	}
	r.Profile = report.ProfileStrict
	if got := r.Result(); got != "fail" {
		t.Errorf("strict: %s, want fail", got)
	}
	r.Profile = report.ProfileSmoke
	r.Waivers = append(r.Waivers, report.WaiverStatus{State: report.WaiverExpired})
	if got := r.Result(); got != "fail" {
		t.Errorf("smoke with an expired waiver: %s, want fail", got)
	}
}

func TestUntestedStepsAreNamed(t *testing.T) {
	r := run()
	waiver.Apply(r, []report.Waiver{w("DISC-10", "", "", "2027-01-01")}, today)
	if !strings.Contains(r.Waivers[0].Note, "1 later step(s) of the check did not run") {
		t.Errorf("note %q does not say what the waived check left untested", r.Waivers[0].Note)
	}
}
