package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SummaryOptions tune the console summary.
type SummaryOptions struct {
	// Verbose prints whole reasons, not the first 200 characters.
	Verbose bool
	// Color marks verdicts with ANSI colours (a terminal without NO_COLOR).
	Color bool
}

// WriteSummary writes the plain-text console summary: a header line, one
// line per capability followed by its failing and could-not-test checks
// sorted by ID, and a final RESULT line. A run with no checks is reported
// as a failure: a conformance suite that checked nothing has shown nothing.
func WriteSummary(w io.Writer, r *Run) error { return WriteSummaryWith(w, r, SummaryOptions{}) }

// WriteSummaryWith is WriteSummary with options.
func WriteSummaryWith(w io.Writer, r *Run, o SummaryOptions) error {
	if r == nil {
		return fmt.Errorf("report: write summary: %w", ErrNilRun)
	}
	bw := bufio.NewWriter(w)
	total := len(r.Checks)
	target := r.Target
	if target == "" {
		target = "(unknown)"
	}
	fmt.Fprintf(bw, "cutover: target %s, %s in %.2fs", printable(oneLine(target)), plural(total, "check"), r.Duration.Seconds())
	if r.Tags != "" {
		fmt.Fprintf(bw, ", tags %q (%d left out)", r.Tags, len(r.NotSelected))
	}
	if r.Shard != "" {
		fmt.Fprintf(bw, ", shard %s (%d checks in the other shards)", r.Shard, len(r.OtherShards))
	}
	fmt.Fprintf(bw, ", profile %s", r.ProfileOf().Name)
	bw.WriteString("\n")
	if r.TLSVerification != "" && r.TLSVerification != "on" {
		fmt.Fprintf(bw, "WARNING: TLS verification %s\n", printable(r.TLSVerification))
	}

	sums := r.ByCapability()
	nameW := 10
	for _, s := range sums {
		nameW = max(nameW, len(capabilityName(s.Capability)))
	}
	numW := len(strconv.Itoa(total))
	for _, s := range sums {
		fmt.Fprintf(bw, "%-*s  %*d passed %*d failed", nameW, capabilityName(s.Capability), numW, s.Counts[Pass], numW, s.Counts[Fail])
		if n := s.Counts[Error]; n > 0 {
			fmt.Fprintf(bw, " %*d could not test", numW, n)
		}
		if n := s.Counts[Waived]; n > 0 {
			fmt.Fprintf(bw, " %*d waived", numW, n)
		}
		if n := s.Counts[NotApplicable]; n > 0 {
			fmt.Fprintf(bw, " %*d n/a", numW, n)
		}
		bw.WriteString("\n")
		idW := 0
		for _, c := range s.Failing {
			idW = max(idW, len(checkID(c)))
		}
		for _, c := range s.Failing {
			reason := displayReason(c, o.Verbose)
			if c.Severity != "" {
				reason = "[" + c.Severity + "] " + reason
			}
			if c.Waiver != nil {
				reason += " (waived: " + printable(waiverLabel(*c.Waiver)) + ")"
			}
			fmt.Fprintf(bw, "  %s %-*s  %s\n", paint(o, c.Verdict, fmt.Sprintf("%-5s", c.Verdict.Label())), idW, checkID(c), reason)
		}
	}
	for _, st := range r.Waivers {
		if st.State == WaiverExpired || st.State == WaiverRemovable {
			fmt.Fprintf(bw, "waiver %s %s: %s\n", printable(st.Waiver.ID), st.State, printable(st.Note))
		}
	}
	n := r.Counts()
	var parts []string
	if n[Fail] > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", n[Fail]))
	}
	if n[Error] > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be tested", n[Error]))
	}
	if n[Waived] > 0 {
		parts = append(parts, fmt.Sprintf("%d waived", n[Waived]))
	}
	if n[NotApplicable] > 0 {
		parts = append(parts, fmt.Sprintf("%d not applicable", n[NotApplicable]))
	}
	parts = append(parts, fmt.Sprintf("%d passed", n[Pass]))
	detail := strings.Join(parts, ", ") + " of " + plural(total, "check")
	if len(r.NotSelected) > 0 {
		detail += fmt.Sprintf("; %d left out by the tag filter", len(r.NotSelected))
	}
	switch res := r.Result(); {
	case res == "interrupted":
		fmt.Fprintf(bw, "RESULT: INTERRUPTED (%s; %s)\n", printable(r.Interrupted), detail)
	case total == 0:
		bw.WriteString("RESULT: FAIL (no checks ran)\n")
	default:
		fmt.Fprintf(bw, "RESULT: %s (%s)\n", paint(o, Verdict(res), strings.ToUpper(res)), detail)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write summary: %w", err)
	}
	return nil
}

// paint colours a verdict's text when o.Color is set.
func paint(o SummaryOptions, v Verdict, text string) string {
	if !o.Color {
		return text
	}
	code := map[Verdict]string{Pass: "32", Fail: "31", Error: "33", NotApplicable: "36", Waived: "35"}[v]
	if code == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// WriteJSON writes r as indented JSON for scripts: the run with its
// result (pass, fail, error or interrupted) and the count of each verdict.
// Durations are integer nanoseconds (the *_ns fields), Started is RFC 3339.
func WriteJSON(w io.Writer, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write json: %w", ErrNilRun)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonRun{Run: r, Result: r.Result(), Counts: r.Counts()}); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// jsonRun is a Run as --json and results.json carry it.
type jsonRun struct {
	*Run
	Result string          `json:"result"`
	Counts map[Verdict]int `json:"counts"`
}

// waiverLabel is a waiver in one line: ticket, owner, until when.
func waiverLabel(w Waiver) string {
	var parts []string
	if w.Ticket != "" {
		parts = append(parts, w.Ticket)
	}
	parts = append(parts, w.Owner, "until "+w.Expires)
	return strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func capabilityName(c string) string {
	if c == "" {
		return "(none)"
	}
	return c
}

func checkID(c Check) string {
	if c.ID == "" {
		return "(no-id)"
	}
	return c.ID
}

// displayReason is the reason for the summary line: the step errors start
// with the check ID by house style, which the line already shows. Verbose
// gives the whole error, on one line.
func displayReason(c Check, verbose bool) string {
	r := c.Reason
	if verbose && c.Error != "" {
		r = strings.Join(strings.Fields(c.Error), " ")
	}
	if c.ID != "" {
		r = strings.TrimPrefix(r, c.ID+": ")
	}
	if r == "" {
		r = c.Title
	}
	return printable(r)
}

// printable replaces control characters (ANSI colour escapes, carriage
// returns) so one reason stays one clean line in a CI log.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
