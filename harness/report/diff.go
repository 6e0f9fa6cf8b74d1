package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Change is a verdict that differs between two runs, for a check or for
// one subject of a per-user check. Old or New is "" when the check (or
// subject) is only in the other run.
type Change struct {
	ID      string  `json:"id"`
	Subject string  `json:"subject,omitempty"`
	Title   string  `json:"title,omitempty"`
	Old     Verdict `json:"old,omitempty"`
	New     Verdict `json:"new,omitempty"`
	// Regression: the new verdict fails or could not test where the old
	// one did not (or the check is new and does not pass).
	Regression bool   `json:"regression"`
	Reason     string `json:"reason,omitempty"`
}

// Diff lists what changed verdict from old to new, per check and, for
// per-user checks, per subject; sorted by ID then subject.
func Diff(old, new *Run) []Change {
	type key struct{ id, subject string }
	type val struct {
		v      Verdict
		title  string
		reason string
	}
	index := func(r *Run) map[key]val {
		m := map[key]val{}
		if r == nil {
			return m
		}
		for _, c := range r.Checks {
			m[key{c.ID, ""}] = val{c.Verdict, c.Title, c.Reason}
			for _, s := range c.Subjects {
				m[key{c.ID, s.Name}] = val{s.Verdict, c.Title, s.Reason}
			}
		}
		return m
	}
	o, n := index(old), index(new)
	keys := map[key]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	bad := func(v Verdict) bool { return v == Fail || v == Error }
	var out []Change
	for k := range keys {
		ov, nv := o[k], n[k]
		if ov.v == nv.v {
			continue
		}
		title := nv.title
		if title == "" {
			title = ov.title
		}
		c := Change{ID: k.id, Subject: k.subject, Title: title, Old: ov.v, New: nv.v, Reason: nv.reason}
		c.Regression = bad(nv.v) && !bad(ov.v)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return compareIDs(out[i].ID, out[j].ID) < 0
		}
		return out[i].Subject < out[j].Subject
	})
	return out
}

// WriteDiff prints the changes as text: one line per change, regressions
// marked, and a last line with the counts.
func WriteDiff(w io.Writer, old, new *Run, changes []Change) error {
	label := func(v Verdict) string {
		if v == "" {
			return "(absent)"
		}
		return v.Label()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cutover diff: %s (%s) → %s (%s)\n", printable(old.Target), old.Started.UTC().Format("2006-01-02 15:04"), printable(new.Target), new.Started.UTC().Format("2006-01-02 15:04"))
	regressed := 0
	for _, c := range changes {
		mark := "  "
		if c.Regression {
			mark = "! "
			regressed++
		}
		id := c.ID
		if c.Subject != "" {
			id += " [" + printable(c.Subject) + "]"
		}
		line := fmt.Sprintf("%s%-24s %-7s → %-7s %s", mark, id, label(c.Old), label(c.New), printable(c.Title))
		if c.Regression && c.Reason != "" {
			line += ": " + printable(strings.TrimPrefix(c.Reason, c.ID+": "))
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(&b, "%d change(s), %d regression(s)\n", len(changes), regressed)
	_, err := io.WriteString(w, b.String())
	return err
}
