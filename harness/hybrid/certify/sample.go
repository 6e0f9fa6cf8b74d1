package certify

import (
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"sort"
)

// Sample asks Run to run live per-user checks for N users. Users are
// chosen deterministically: the N with the smallest FNV-1a hash of Seed
// and their user ID, whatever the order of the export. Check is called
// for each after the files are read, one at a time, in hash order; it is
// the caller's job to rate-limit and to bound each call by ctx.
type Sample struct {
	N    int
	Seed uint64
	// RoutableOnly samples among routable users only.
	RoutableOnly bool
	Check        func(ctx context.Context, v Verdict) []Outcome
}

// Outcome is one live check of one user.
type Outcome struct {
	Check    string `json:"check"`
	Pass     bool   `json:"pass"`
	Detail   string `json:"detail"`
	Evidence string `json:"evidence,omitempty"`
}

// SampleResult is the live checks of one sampled user.
type SampleResult struct {
	Verdict  Verdict   `json:"verdict"`
	Outcomes []Outcome `json:"outcomes"`
}

func (s Sample) check() error {
	if s.N < 1 || s.N > 100000 {
		return fmt.Errorf("%w: sample of %d users (1 to 100000)", ErrOptions, s.N)
	}
	if s.Check == nil {
		return fmt.Errorf("%w: sample without a Check", ErrOptions)
	}
	return nil
}

type scored struct {
	score uint64
	v     Verdict
}

// maxHeap keeps the N smallest scores: the largest on top, to evict.
type maxHeap []scored

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i].score > h[j].score }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type sampler struct {
	s Sample
	h maxHeap
}

func newSampler(s Sample) *sampler { return &sampler{s: s} }

func (p *sampler) score(v Verdict) uint64 {
	h := fnv.New64a()
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], p.s.Seed)
	h.Write(seed[:])
	h.Write([]byte(v.Key()))
	return h.Sum64()
}

func (p *sampler) offer(v Verdict) {
	if p.s.RoutableOnly && !v.Routable {
		return
	}
	sc := p.score(v)
	if len(p.h) < p.s.N {
		heap.Push(&p.h, scored{sc, v})
		return
	}
	if sc < p.h[0].score {
		p.h[0] = scored{sc, v}
		heap.Fix(&p.h, 0)
	}
}

func (p *sampler) run(ctx context.Context) []SampleResult {
	picked := append([]scored(nil), p.h...)
	sort.Slice(picked, func(i, j int) bool { return picked[i].score < picked[j].score })
	out := make([]SampleResult, 0, len(picked))
	for _, s := range picked {
		if ctx.Err() != nil {
			out = append(out, SampleResult{Verdict: s.v, Outcomes: []Outcome{{Check: "sample", Detail: "not run: " + ctx.Err().Error()}}})
			continue
		}
		out = append(out, SampleResult{Verdict: s.v, Outcomes: p.s.Check(ctx, s.v)})
	}
	return out
}
