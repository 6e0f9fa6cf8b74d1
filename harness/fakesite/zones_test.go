package fakesite_test

import (
	"os"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"example.com/cutover/harness/fakesite"
)

// TestWriteZonesAreValidMasterFiles: what a real server loads holds every
// record the fake view serves, and nothing outside the zone.
func TestWriteZonesAreValidMasterFiles(t *testing.T) {
	p, _, err := fakesite.Prepare("test", fakesite.Options{Faults: []string{"edge-target-ip"}}) // adds an out-of-zone record
	if err != nil {
		t.Fatal(err)
	}
	files, err := fakesite.WriteZones(p, t.TempDir(), "example.com", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("want 2 zone files, got %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zp := dns.NewZoneParser(strings.NewReader(string(b)), "", f)
		n := 0
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if !dns.IsSubDomain("example.com.", rr.Header().Name) {
				t.Errorf("%s: out-of-zone record %s", f, rr)
			}
			n++
		}
		if err := zp.Err(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if n < 4 {
			t.Errorf("%s: only %d records", f, n)
		}
	}
}
