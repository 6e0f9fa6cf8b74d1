package dnsclient_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"example.com/cutover/harness/dnsclient"
)

func TestOrderPriorityAscending(t *testing.T) {
	recs := []dnsclient.SRV{
		{Target: "c.example.com.", Priority: 30, Weight: 5},
		{Target: "a1.example.com.", Priority: 10, Weight: 0},
		{Target: "b.example.com.", Priority: 20, Weight: 1},
		{Target: "a2.example.com.", Priority: 10, Weight: 60},
		{Target: "a3.example.com.", Priority: 10, Weight: 40},
	}
	orig := slices.Clone(recs)
	for seed := range uint64(200) {
		got := dnsclient.Order(recs, rand.New(rand.NewPCG(seed, 1)))
		if len(got) != len(recs) {
			t.Fatalf("seed %d: %d records, want %d", seed, len(got), len(recs))
		}
		for i := 1; i < len(got); i++ {
			if got[i].Priority < got[i-1].Priority {
				t.Fatalf("seed %d: priority not ascending: %v", seed, got)
			}
		}
		for _, r := range recs {
			if !slices.Contains(got, r) {
				t.Fatalf("seed %d: %v lost", seed, r)
			}
		}
	}
	if !slices.Equal(recs, orig) {
		t.Error("Order modified its input")
	}
}

func TestOrderDeterministicForSeed(t *testing.T) {
	recs := []dnsclient.SRV{{Target: "a.", Weight: 1}, {Target: "b.", Weight: 1}, {Target: "c.", Weight: 1}, {Target: "d.", Weight: 1}}
	a := dnsclient.Order(recs, rand.New(rand.NewPCG(7, 7)))
	b := dnsclient.Order(recs, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different orders: %v vs %v", a, b)
	}
	if got := dnsclient.Order(recs, nil); len(got) != 4 {
		t.Errorf("Order(nil rand) = %v", got)
	}
}

func TestOrderWeights(t *testing.T) {
	tests := []struct {
		name     string
		recs     []dnsclient.SRV
		heavy    string
		min, max int // first picks of heavy out of 1000
	}{
		{"90/10", []dnsclient.SRV{{Target: "light.example.com.", Weight: 10}, {Target: "heavy.example.com.", Weight: 90}}, "heavy.example.com.", 850, 950},
		// RFC 2782: weight 0 is chosen only when the draw is 0.
		{"0/100", []dnsclient.SRV{{Target: "zero.example.com.", Weight: 0}, {Target: "heavy.example.com.", Weight: 100}}, "heavy.example.com.", 970, 1000},
		{"all zero is uniform-ish", []dnsclient.SRV{{Target: "a.example.com."}, {Target: "heavy.example.com."}}, "heavy.example.com.", 0, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(42, 2782))
			n := 0
			for range 1000 {
				if dnsclient.Order(tc.recs, rnd)[0].Target == tc.heavy {
					n++
				}
			}
			if n < tc.min || n > tc.max {
				t.Errorf("%s first %d/1000 times, want %d..%d", tc.heavy, n, tc.min, tc.max)
			}
		})
	}
}

func TestTopN(t *testing.T) {
	ordered := []dnsclient.SRV{{Target: "a."}, {Target: "b."}, {Target: "c."}}
	for _, tc := range []struct {
		n    int
		want int
	}{{2, 2}, {0, 0}, {5, 3}, {-1, 0}} {
		if got := dnsclient.TopN(ordered, tc.n); len(got) != tc.want || (tc.want > 0 && got[0] != ordered[0]) {
			t.Errorf("TopN(%d) = %v, want first %d", tc.n, got, tc.want)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		target string
		want   error
	}{
		{"ucm1.example.com.", nil},
		{"ucm1.example.com", nil},
		{"UCM-1.Example.COM.", nil},
		{"xn--bcher-kva.example.", nil},
		{".", dnsclient.ErrServiceAbsent},
		{".", dnsclient.ErrTargetInvalid},
		{"", dnsclient.ErrTargetInvalid},
		{"192.0.2.10", dnsclient.ErrTargetIsIP},
		{"192.0.2.10.", dnsclient.ErrTargetIsIP},
		{"2001:db8::1", dnsclient.ErrTargetIsIP},
		{"2001:db8::1.", dnsclient.ErrTargetIsIP},
		{"[2001:db8::1]", dnsclient.ErrTargetIsIP},
		{"ucm1.", dnsclient.ErrTargetNotFQDN},
		{"ucm1", dnsclient.ErrTargetNotFQDN},
		{"ucm_1.example.com.", dnsclient.ErrTargetInvalid},
		{"ucm 1.example.com.", dnsclient.ErrTargetInvalid},
		{"-ucm.example.com.", dnsclient.ErrTargetInvalid},
		{"ucm-.example.com.", dnsclient.ErrTargetInvalid},
		{"ucm..example.com.", dnsclient.ErrTargetInvalid},
		{long + ".example.com.", dnsclient.ErrTargetInvalid},
		{strings.Repeat("abcdefghi.", 26) + "com.", dnsclient.ErrTargetInvalid},
		{"host.123", dnsclient.ErrTargetInvalid},
		{`ucm\000.example.com.`, dnsclient.ErrTargetInvalid},
		{"ucm1.example.com..", dnsclient.ErrTargetInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			err := dnsclient.CheckTarget(tc.target)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckTarget(%q) = %v, want nil", tc.target, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckTarget(%q) = %v, want %v", tc.target, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "dnsclient: ") {
				t.Errorf("CheckTarget(%q): %q lacks prefix", tc.target, err)
			}
		})
	}
}
