package certify

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Shard is part K of N of a certification (cutover certify --shard K/N),
// for a CI matrix over a large population. Every shard reads both exports
// whole, since a duplicate email or JID and the join need every row, and
// reports only the users whose key (Verdict.Key) hashes to it (FNV-1a, mod
// N): each user is in exactly one shard, whatever the order of the rows.
// The bad rows are reported by shard 1 alone. MergeReports joins the
// shards' report directories into what the unsharded run writes. The zero
// value, and N = 1, is the whole run.
type Shard struct{ K, N int }

// ShardInfo is what a shard's roll-up carries for MergeReports.
type ShardInfo struct {
	K int `json:"k"`
	N int `json:"n"`
	// Sources are the exports' names, UCM first, Control Hub last: the
	// unsharded run's order of users.
	Sources []string `json:"sources"`
	// Listed is the run's Options.Listed.
	Listed int `json:"listed"`
	// Options are the run's options that change verdicts (each export's
	// cluster and JID addressing, the organisation limit): shards of one
	// run have the same.
	Options []string `json:"options"`
}

func (s Shard) on() bool { return s.N > 1 }

// first says whether this is shard 1 (or no shard), which reports the
// bad rows.
func (s Shard) first() bool { return !s.on() || s.K == 1 }

// has says whether the user of key belongs to this shard.
func (s Shard) has(key string) bool {
	if !s.on() {
		return true
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32()%uint32(s.N)) == s.K-1
}

func (s Shard) check(opts Options) error {
	if s.N == 0 && s.K == 0 {
		return nil
	}
	if s.N < 1 || s.K < 1 || s.K > s.N {
		return fmt.Errorf("%w: shard %d/%d: want K/N with 1 <= K <= N", ErrOptions, s.K, s.N)
	}
	// Any --shard, 1/1 too, is merged later: the same rules.
	if opts.Sample != nil {
		return fmt.Errorf("%w: a sharded run takes no live sample (run the sample once, unsharded)", ErrOptions)
	}
	seen := map[string]bool{opts.Webex.Name: true}
	for _, u := range opts.UCM {
		if seen[u.Name] {
			return fmt.Errorf("%w: two exports named %q: a sharded run orders its users by export name", ErrOptions, u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

// info is what the shard's roll-up carries: for any --shard, 1/1 too (a
// CI matrix of one still merges).
func (s Shard) info(opts Options) *ShardInfo {
	if s.N == 0 {
		return nil
	}
	in := &ShardInfo{K: s.K, N: s.N, Listed: opts.Listed}
	for _, u := range opts.UCM {
		in.Sources = append(in.Sources, u.Name)
		in.Options = append(in.Options, fmt.Sprintf("UCM %s: cluster %s, JID %s, IM&P domain %s", u.Name, u.Cluster, u.Addressing.Scheme, u.Addressing.DefaultDomain))
	}
	in.Sources = append(in.Sources, opts.Webex.Name)
	in.Options = append(in.Options, fmt.Sprintf("organisation limit %d", opts.OrgLimit))
	return in
}

// ErrMerge is a set of shard directories that do not make one run: a
// shard missing or twice, shards of different runs, a file unreadable.
const ErrMerge = sentinel("certify: merge")

// MergeReports joins the report directories of the N shards of one
// certification (Options.Shard, each with ReportDir) into out, as the
// unsharded run writes them: the per-user CSV and JSON in the unsharded
// order (UCM exports in order, each by line, then the Control Hub
// identities no UCM user maps to, by line), the bad rows of shard 1, and
// the roll-up and HTML section computed again over every user. It streams:
// memory does not grow with the users.
func MergeReports(out string, dirs []string) (Summary, error) {
	if len(dirs) == 0 {
		return Summary{}, fmt.Errorf("%w: no shard directory", ErrMerge)
	}
	shards := make([]*mergeShard, len(dirs))
	defer func() {
		for _, s := range shards {
			s.close()
		}
	}()
	if abs, err := filepath.Abs(out); err == nil {
		for _, d := range dirs {
			if da, err := filepath.Abs(d); err == nil && da == abs {
				return Summary{}, fmt.Errorf("%w: the merged report would overwrite shard %s", ErrMerge, d)
			}
		}
	}
	var head *Summary
	for i, d := range dirs {
		s, err := openShard(d)
		if err != nil {
			return Summary{}, err
		}
		shards[i] = s
		in := s.sum.Shard
		if head == nil {
			head = &s.sum
		}
		h := head.Shard
		if in.N != h.N || !slices.Equal(in.Sources, h.Sources) || !slices.Equal(s.sum.Inputs, head.Inputs) || in.Listed != h.Listed || !slices.Equal(in.Options, h.Options) {
			return Summary{}, fmt.Errorf("%w: %s is a shard of another run than %s (shard count, exports or options differ)", ErrMerge, d, dirs[0])
		}
	}
	n := head.Shard.N
	if len(dirs) != n {
		return Summary{}, fmt.Errorf("%w: %d shard directories for a run of %d shards", ErrMerge, len(dirs), n)
	}
	byK := make([]*mergeShard, n)
	for i, s := range shards {
		k := s.sum.Shard.K
		if k < 1 || k > n || byK[k-1] != nil {
			return Summary{}, fmt.Errorf("%w: %s: shard %d/%d is missing or given twice", ErrMerge, dirs[i], k, n)
		}
		byK[k-1] = s
	}
	first := byK[0]
	w, err := newWriters(out)
	if err != nil {
		return Summary{}, err
	}
	defer w.abort()
	order := map[string]int{}
	for i, name := range head.Shard.Sources {
		order[name] = i
	}
	for _, s := range shards {
		if err := s.advance(order); err != nil {
			return Summary{}, err
		}
	}
	sum := Summary{Notes: first.sum.Notes, Inputs: first.sum.Inputs, Errors: first.sum.Errors}
	roll := newRoller()
	for _, s := range shards {
		roll.webexUnused += s.sum.WebexUnused
	}
	for {
		var next *mergeShard
		for _, s := range shards {
			if s.cur != nil && (next == nil || s.pos.less(next.pos)) {
				next = s
			}
		}
		if next == nil {
			break
		}
		v := next.cur
		roll.add(*v)
		if !v.Routable && len(sum.Unroutable) < head.Shard.Listed {
			sum.Unroutable = append(sum.Unroutable, *v)
		}
		if err := w.raw(next.rec, next.js); err != nil {
			return Summary{}, err
		}
		if err := next.advance(order); err != nil {
			return Summary{}, err
		}
	}
	sum.Rollup = roll.rollup(first.sum.Scale.OrgLimit)
	sum.RowErrors = first.sum.RowErrors
	errs, err := os.ReadFile(filepath.Join(first.dir, ErrorsCSV))
	if err != nil {
		return Summary{}, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	if err := w.errorsRaw(errs); err != nil {
		return Summary{}, err
	}
	files, err := w.finish(&sum)
	if err != nil {
		return Summary{}, err
	}
	sum.Files = files
	return sum, nil
}

// mergeShard is one shard's report directory, read a user at a time: the
// CSV row and the JSON element of one user side by side.
type mergeShard struct {
	dir  string
	sum  Summary
	csvF *os.File
	csvR *csv.Reader
	jsF  *os.File
	jsD  *json.Decoder

	cur    *Verdict // nil once read to the end
	rec    []byte   // the user's CSV row, byte for byte
	js     json.RawMessage
	pos    mergePos
	csvOff int64
}

// mergePos is a user's place in the unsharded run's order.
type mergePos struct {
	webex bool // a Control Hub identity no UCM user maps to: after every UCM user
	src   int
	line  int
}

func (a mergePos) less(b mergePos) bool {
	if a.webex != b.webex {
		return !a.webex
	}
	if a.src != b.src {
		return a.src < b.src
	}
	return a.line < b.line
}

func openShard(dir string) (*mergeShard, error) {
	s := &mergeShard{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, RollupJSON))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	if err := json.Unmarshal(b, &s.sum); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMerge, filepath.Join(dir, RollupJSON), err)
	}
	if s.sum.Shard == nil {
		return nil, fmt.Errorf("%w: %s is not the report of a shard (cutover certify --shard K/N)", ErrMerge, dir)
	}
	if s.csvF, err = os.Open(filepath.Join(dir, UsersCSV)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	s.csvR = csv.NewReader(s.csvF)
	s.csvR.ReuseRecord = true
	if hdr, err := s.csvR.Read(); err != nil || !slices.Equal(hdr, usersHeader()) {
		s.close()
		return nil, fmt.Errorf("%w: %s: not a per-user CSV of this version", ErrMerge, filepath.Join(dir, UsersCSV))
	}
	s.csvOff = s.csvR.InputOffset()
	if s.jsF, err = os.Open(filepath.Join(dir, UsersJSON)); err != nil {
		s.close()
		return nil, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	s.jsD = json.NewDecoder(s.jsF)
	if t, err := s.jsD.Token(); err != nil || t != json.Delim('[') {
		s.close()
		return nil, fmt.Errorf("%w: %s: not a JSON array", ErrMerge, filepath.Join(dir, UsersJSON))
	}
	return s, nil
}

// advance reads the shard's next user (cur nil at the end).
func (s *mergeShard) advance(order map[string]int) error {
	s.cur = nil
	bad := func(what string, err error) error {
		return fmt.Errorf("%w: %s: %s: %v", ErrMerge, s.dir, what, err)
	}
	if !s.jsD.More() {
		if _, err := s.csvR.Read(); !errors.Is(err, io.EOF) {
			return bad(UsersCSV, errors.New("more rows than "+UsersJSON+" has users"))
		}
		return nil
	}
	s.js = s.js[:0]
	if err := s.jsD.Decode(&s.js); err != nil {
		return bad(UsersJSON, err)
	}
	var v Verdict
	if err := json.Unmarshal(s.js, &v); err != nil {
		return bad(UsersJSON, err)
	}
	if _, err := s.csvR.Read(); err != nil {
		return bad(UsersCSV, fmt.Errorf("fewer rows than %s has users: %w", UsersJSON, err))
	}
	// The row as written (csv.Reader would turn a CR LF in a field into
	// LF): read again by offset.
	end := s.csvR.InputOffset()
	s.rec = slices.Grow(s.rec[:0], int(end-s.csvOff))[:end-s.csvOff]
	if _, err := s.csvF.ReadAt(s.rec, s.csvOff); err != nil {
		return bad(UsersCSV, err)
	}
	s.csvOff = end
	i := strings.LastIndexByte(v.Source, ':')
	line, lerr := strconv.Atoi(v.Source[i+1:])
	src, ok := order[v.Source[:max(i, 0)]]
	if i < 0 || lerr != nil || !ok {
		return bad(UsersJSON, fmt.Errorf("user %q: source %q names no export of the run", v.Key(), v.Source))
	}
	s.pos = mergePos{webex: v.Kind == "webex", src: src, line: line}
	s.cur = &v
	return nil
}

func (s *mergeShard) close() {
	if s == nil {
		return
	}
	if s.csvF != nil {
		s.csvF.Close()
	}
	if s.jsF != nil {
		s.jsF.Close()
	}
}

// raw writes one user's CSV row and JSON element as a shard wrote them.
func (w *writers) raw(row, js []byte) error {
	if w.users == nil {
		return nil
	}
	w.usersCSV.Flush() // the header
	if _, err := w.users.bw.Write(row); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	return w.element(js)
}

// errorsRaw writes the bad rows of a shard's errors CSV (its header left
// out: the writers wrote theirs).
func (w *writers) errorsRaw(b []byte) error {
	if w.errs == nil {
		return nil
	}
	_, rows, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil
	}
	w.errsCSV.Flush()
	if _, err := w.errs.bw.Write(rows); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	return nil
}
