package report

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// benchRun is a run the size of a certification: 100 checks, a fifth of
// them failing with 4 KiB of evidence each, a tenth per user over 50 users.
func benchRun() *Run {
	r := &Run{Target: "site", Started: time.Unix(1700000000, 0), Duration: time.Minute}
	ev := strings.Repeat("dns answer line\n", 256)
	for i := range 100 {
		c := Check{ID: fmt.Sprintf("DISC-%02d", i+1), Capability: "discovery", Title: "a check", Source: "RFC 2782", Severity: Blocker, Verdict: Pass, Duration: time.Millisecond}
		if i%5 == 0 {
			c.Verdict, c.Reason, c.Error = Fail, c.ID+": broken", c.ID+": broken"
			c.Evidence = []Evidence{{Name: "dns", MediaType: "text/plain", Data: ev}}
			c.Steps = []Step{{Keyword: "Then ", Text: "x", Status: StatusFailed}}
		}
		if i%10 == 0 {
			for u := range 50 {
				c.Subjects = append(c.Subjects, Subject{Name: fmt.Sprintf("user%02d", u), Verdict: Pass})
			}
		}
		r.Checks = append(r.Checks, c)
	}
	return r
}

func BenchmarkWriteHTML(b *testing.B) {
	r := benchRun()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteHTMLWith(io.Discard, r, HTMLOptions{Bundle: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJUnit(b *testing.B) {
	r := benchRun()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJUnit(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	r := benchRun()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
