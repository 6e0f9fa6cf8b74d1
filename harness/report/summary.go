package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteSummary writes the plain-text console summary: a header line, one
// line per capability followed by its failing checks sorted by ID, and a
// final RESULT line. No colours, so it reads the same in CI logs. A run with
// no checks is reported as a failure: a conformance suite that checked
// nothing has shown nothing.
func WriteSummary(w io.Writer, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write summary: %w", ErrNilRun)
	}
	bw := bufio.NewWriter(w)
	total := len(r.Checks)
	target := r.Target
	if target == "" {
		target = "(unknown)"
	}
	fmt.Fprintf(bw, "cutover: target %s, %s in %.2fs\n", printable(oneLine(target)), plural(total, "check"), r.Duration.Seconds())

	sums := r.ByCapability()
	nameW := 10
	for _, s := range sums {
		nameW = max(nameW, len(capabilityName(s.Capability)))
	}
	numW := len(strconv.Itoa(total))
	failed, other := 0, 0
	for _, s := range sums {
		failed += s.Failed
		other += s.Other
		fmt.Fprintf(bw, "%-*s  %*d passed %*d failed", nameW, capabilityName(s.Capability), numW, s.Passed, numW, s.Failed)
		if s.Other > 0 {
			fmt.Fprintf(bw, " %*d skipped", numW, s.Other)
		}
		bw.WriteString("\n")
		idW := 0
		for _, c := range s.Failing {
			idW = max(idW, len(checkID(c)))
		}
		for _, c := range s.Failing {
			fmt.Fprintf(bw, "  FAIL %-*s  %s\n", idW, checkID(c), displayReason(c))
		}
	}

	switch {
	case total == 0:
		bw.WriteString("RESULT: FAIL (no checks ran)\n")
	case failed > 0:
		fmt.Fprintf(bw, "RESULT: FAIL (%d of %s failed)\n", failed, plural(total, "check"))
	case other > 0:
		fmt.Fprintf(bw, "RESULT: PASS (%s, %d skipped)\n", plural(total, "check"), other)
	default:
		fmt.Fprintf(bw, "RESULT: PASS (%s)\n", plural(total, "check"))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write summary: %w", err)
	}
	return nil
}

// WriteJSON writes r as indented JSON for --json consumers. Durations are
// integer nanoseconds (the *_ns fields), Started is RFC 3339.
func WriteJSON(w io.Writer, r *Run) error {
	if r == nil {
		return fmt.Errorf("report: write json: %w", ErrNilRun)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
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
// with the check ID by house style, which the line already shows.
func displayReason(c Check) string {
	r := c.Reason
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
