package hybrid

import (
	"context"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"example.com/cutover/harness/hybrid/webex"
)

func startSite(t *testing.T, opts ...Option) (*Site, Env) {
	t.Helper()
	s, err := NewSite(opts...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Webex)
	t.Cleanup(func() {
		hs.Close()
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, s.Env(webex.NewClient(hs.Client(), hs.URL))
}

func TestHealthySitePassesEveryProbe(t *testing.T) {
	_, env := startSite(t)
	for _, r := range ProbeAll(context.Background(), env) {
		if !r.Pass || r.Skipped {
			t.Errorf("%s\n  evidence: %s", r, strings.Join(r.Evidence, "\n  "))
		}
	}
}

func TestFaultKillLists(t *testing.T) {
	for _, f := range Faults() {
		t.Run(f.Name, func(t *testing.T) {
			_, env := startSite(t, f.Option)
			var failed []string
			for _, r := range ProbeAll(context.Background(), env) {
				if r.Skipped {
					t.Errorf("%s skipped: %s", r.ID, r.Got)
				}
				if !r.Pass && !r.Skipped {
					failed = append(failed, r.ID)
					t.Logf("%s", r)
				}
			}
			sort.Strings(failed)
			if !reflect.DeepEqual(failed, f.Kills) {
				t.Errorf("%s fails %v, want exactly %v", f.Name, failed, f.Kills)
			}
		})
	}
}

func TestChecksCoverFaults(t *testing.T) {
	killed := map[string]bool{}
	for _, f := range Faults() {
		for _, id := range f.Kills {
			killed[id] = true
		}
	}
	for _, c := range Checks() {
		if !killed[c.ID] {
			t.Errorf("no fault kills %s", c.ID)
		}
	}
	if len(Checks()) < 10 {
		t.Errorf("%d checks", len(Checks()))
	}
}
