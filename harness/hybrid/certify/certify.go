// Package certify joins a UCM end-user export with a Control Hub users
// export and certifies every user for Hybrid Messaging: routable, or not
// routable with every reason, plus the cohort roll-up (domain, home
// cluster, device types, enablement). Run is what `cutover certify` calls;
// it does everything but parse flags. See README.md.
package certify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"example.com/cutover/harness/hybrid/export"
	"example.com/cutover/harness/hybrid/ident"
)

// ErrOptions is wrapped by errors about the Options themselves.
const ErrOptions = sentinel("certify: bad options")

type sentinel string

func (s sentinel) Error() string { return string(s) }

// Source is one export file.
type Source struct {
	// Name labels the file in errors and reports (usually its path).
	Name string
	// Open returns the file from its start. A UCM export is opened twice
	// (Run makes two passes so it never holds the whole file).
	Open func() (io.ReadCloser, error)
	// Cluster names the UCM cluster the export came from: the home
	// cluster of the users it marks HOME CLUSTER. Default: Name.
	Cluster string
	// Addressing is how the cluster's IM&P forms JIDs.
	Addressing ident.Addressing
}

// File returns a Source reading path.
func File(path string) Source {
	return Source{Name: path, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Spool copies r (standard input, a download) to a temporary file in dir
// ("" for the default) so a UCM export that cannot be reopened can still
// be read twice. remove deletes the copy.
func Spool(name string, r io.Reader, dir string) (src Source, remove func() error, err error) {
	f, err := os.CreateTemp(dir, "certify-spool-*.csv")
	if err != nil {
		return Source{}, nil, fmt.Errorf("certify: spool %s: %w", name, err)
	}
	path := f.Name()
	remove = func() error { return os.Remove(path) }
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		remove()
		return Source{}, nil, fmt.Errorf("certify: spool %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		remove()
		return Source{}, nil, fmt.Errorf("certify: spool %s: %w", name, err)
	}
	src = File(path)
	src.Name = name
	return src, remove, nil
}

// Options is everything Run needs.
type Options struct {
	// UCM holds one end-user export per UCM cluster (at least one).
	UCM []Source
	// Webex is the Control Hub users export.
	Webex Source
	// ReportDir receives the report files; empty writes none (the Summary
	// and a Sink still get everything).
	ReportDir string
	// Reader options for both exports (column aliases, limits).
	Reader []export.Option
	// Sample, when set, runs live checks for a few users.
	Sample *Sample
	// OrgLimit is the Hybrid Message users an organisation may have;
	// default 195,000 (Hybrid Message Service deployment guide).
	OrgLimit int
	// Listed caps the not-routable users and row errors shown in the HTML
	// section and kept in the Summary; default 200. The CSV and JSON list
	// everyone.
	Listed int
	// Sink, when set, gets every verdict as it is made (tests use it).
	Sink func(Verdict)
	// Shard, when N > 1, certifies only part K of N of the users (see
	// Shard); MergeReports joins the shards' report directories.
	Shard Shard
}

// Summary is what Run found.
type Summary struct {
	Rollup
	// Errors are the first Listed bad rows of both exports.
	Errors []export.RowError `json:"errors,omitempty"`
	// Unroutable are the first Listed not-routable verdicts.
	Unroutable []Verdict `json:"unroutable_users,omitempty"`
	// Samples are the live checks of the sampled users.
	Samples []SampleResult `json:"samples,omitempty"`
	// Notes say what could not be checked (a column the export lacks).
	Notes []string `json:"notes,omitempty"`
	// Inputs name the exports read: UCM first, Control Hub last.
	Inputs []string `json:"inputs"`
	// Files are the report files written, in ReportDir.
	Files []string `json:"files,omitempty"`
	// Shard is set by a sharded run only: what MergeReports needs.
	Shard *ShardInfo `json:"shard,omitempty"`
}

// webexRec is one Control Hub identity, compactly.
type webexRec struct {
	email   string // as written (shares the key's bytes when equal)
	status  string // interned
	source  int32  // line
	rows    uint16 // rows with this key
	hybrid  bool
	matched bool
}

// userRec is what the first pass keeps per UCM user (by lower-cased user ID).
type userRec struct {
	homes    uint8
	first    rowRef
	home     rowRef
	clusters uint8 // exports the user appears in
}

type rowRef struct {
	src  int16
	line int32
}

// claims counts the users that claim one Directory URI or JID, and where
// the first two are.
type claims struct {
	n    uint16
	a, b rowRef
}

type run struct {
	opt      Options
	webex    map[string]webexRec
	users    map[string]userRec
	emails   map[string]claims
	jids     map[string]claims
	statuses map[string]string
	noHome   []bool // per UCM source: the export has no HOME CLUSTER column
	noIMP    []bool
	sum      Summary
	roll     *roller
	out      *writers
	sample   *sampler
	rowErrs  int
}

// Run certifies the users of opts.UCM against opts.Webex. A file that is
// not a CSV, or lacks a required column, fails the run with an error
// wrapping export.ErrNotCSV or export.ErrColumns (the CLI exits 2); a bad
// row is reported and the run goes on.
func Run(ctx context.Context, opts Options) (Summary, error) {
	if len(opts.UCM) == 0 {
		return Summary{}, fmt.Errorf("%w: no UCM export", ErrOptions)
	}
	if opts.Webex.Open == nil {
		return Summary{}, fmt.Errorf("%w: no Control Hub export", ErrOptions)
	}
	if len(opts.UCM) > 255 {
		return Summary{}, fmt.Errorf("%w: %d UCM exports, at most 255", ErrOptions, len(opts.UCM))
	}
	for i := range opts.UCM {
		if opts.UCM[i].Open == nil {
			return Summary{}, fmt.Errorf("%w: UCM export %q has no Open", ErrOptions, opts.UCM[i].Name)
		}
		if opts.UCM[i].Cluster == "" {
			opts.UCM[i].Cluster = opts.UCM[i].Name
		}
	}
	if opts.OrgLimit == 0 {
		opts.OrgLimit = 195000
	}
	if opts.Listed == 0 {
		opts.Listed = 200
	}
	if opts.Sample != nil {
		if err := opts.Sample.check(); err != nil {
			return Summary{}, err
		}
	}
	if err := opts.Shard.check(opts); err != nil {
		return Summary{}, err
	}
	r := &run{
		opt:      opts,
		webex:    map[string]webexRec{},
		users:    map[string]userRec{},
		emails:   map[string]claims{},
		jids:     map[string]claims{},
		statuses: map[string]string{},
		noHome:   make([]bool, len(opts.UCM)),
		noIMP:    make([]bool, len(opts.UCM)),
		roll:     newRoller(),
	}
	if opts.Sample != nil {
		r.sample = newSampler(*opts.Sample)
	}
	var err error
	if r.out, err = newWriters(opts.ReportDir); err != nil {
		return Summary{}, err
	}
	defer r.out.abort()
	if err := r.readWebex(ctx); err != nil {
		return Summary{}, err
	}
	for i := range opts.UCM {
		if err := r.firstPass(ctx, i); err != nil {
			return Summary{}, err
		}
	}
	for i := range opts.UCM {
		if err := r.secondPass(ctx, i); err != nil {
			return Summary{}, err
		}
	}
	if err := r.webexOnly(); err != nil {
		return Summary{}, err
	}
	if r.sample != nil {
		r.sum.Samples = r.sample.run(ctx)
	}
	for _, s := range opts.UCM {
		r.sum.Inputs = append(r.sum.Inputs, fmt.Sprintf("UCM %s (cluster %s, JID %s)", s.Name, s.Cluster, s.Addressing.Scheme))
	}
	r.sum.Inputs = append(r.sum.Inputs, "Control Hub "+opts.Webex.Name)
	r.sum.Rollup = r.roll.rollup(opts.OrgLimit)
	r.sum.Rollup.RowErrors = r.rowErrs
	r.sum.Shard = opts.Shard.info(opts)
	files, err := r.out.finish(&r.sum)
	if err != nil {
		return Summary{}, err
	}
	r.sum.Files = files
	return r.sum, nil
}

func (r *run) open(s Source, what string) (io.ReadCloser, error) {
	f, err := s.Open()
	if err != nil {
		return nil, fmt.Errorf("certify: open %s export %s: %w", what, s.Name, err)
	}
	return f, nil
}

func (r *run) rowError(e *export.RowError) error {
	if !r.opt.Shard.first() {
		return nil // shard 1 reports the bad rows
	}
	r.rowErrs++
	if len(r.sum.Errors) < r.opt.Listed {
		r.sum.Errors = append(r.sum.Errors, *e)
	}
	return r.out.rowError(e)
}

func (r *run) intern(s string) string {
	if v, ok := r.statuses[s]; ok {
		return v
	}
	if len(r.statuses) < 64 {
		r.statuses[s] = s
	}
	return s
}

func (r *run) readWebex(ctx context.Context) error {
	src := r.opt.Webex
	f, err := r.open(src, "Control Hub")
	if err != nil {
		return err
	}
	defer f.Close()
	wr, err := export.NewWebexReader(f, src.Name, r.opt.Reader...)
	if err != nil {
		return fmt.Errorf("certify: %w", err)
	}
	if !wr.Has(export.WebexStatus) {
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("%s has no %q column: user status not reported", src.Name, export.HeaderWebexStatus))
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("certify: %w", ctx.Err())
		}
		u, err := wr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *export.RowError
		if errors.As(err, &re) {
			if err := r.rowError(re); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("certify: %w", err)
		}
		key, kerr := ident.EmailKey(u.Email)
		if kerr != nil {
			if err := r.rowError(&export.RowError{File: src.Name, Line: u.Line, Reason: fmt.Sprintf("User ID/Email: %v", kerr)}); err != nil {
				return err
			}
			continue
		}
		if w, ok := r.webex[key]; ok {
			if w.rows < 65535 {
				w.rows++
			}
			w.hybrid = w.hybrid || u.HybridMessage
			r.webex[key] = w
			continue
		}
		email := u.Email
		if email == key {
			email = key
		}
		r.webex[key] = webexRec{email: email, status: r.intern(u.Status), source: int32(u.Line), rows: 1, hybrid: u.HybridMessage}
	}
}

// firstPass counts, per user, the exports that home them, and per
// Directory URI and JID the users that claim it.
func (r *run) firstPass(ctx context.Context, si int) error {
	src := r.opt.UCM[si]
	f, err := r.open(src, "UCM")
	if err != nil {
		return err
	}
	defer f.Close()
	ur, err := export.NewUCMReader(f, src.Name, r.opt.Reader...)
	if err != nil {
		return fmt.Errorf("certify: %w", err)
	}
	if !ur.Has(export.UCMHomeCluster) {
		r.noHome[si] = true
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("%s has no %q column: every user in it is taken as homed on %s", src.Name, export.HeaderHomeCluster, src.Cluster))
	}
	if !ur.Has(export.UCMIMPEnabled) {
		r.noIMP[si] = true
		r.sum.Notes = append(r.sum.Notes, fmt.Sprintf("%s has no %q column: IM and Presence enablement not checked", src.Name, export.HeaderIMPEnabled))
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("certify: %w", ctx.Err())
		}
		u, err := ur.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *export.RowError
		if errors.As(err, &re) {
			if err := r.rowError(re); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("certify: %w", err)
		}
		uid := lower(u.UserID)
		ref := rowRef{src: int16(si), line: int32(u.Line)}
		rec, ok := r.users[uid]
		if !ok {
			rec = userRec{first: ref}
		} else if rec.first.src == ref.src || (rec.homes > 0 && rec.home.src == ref.src) {
			if err := r.rowError(&export.RowError{File: src.Name, Line: u.Line,
				Reason: fmt.Sprintf("USER ID %q appears again (first at line %d)", u.UserID, rec.first.line)}); err != nil {
				return err
			}
			continue
		}
		if rec.clusters < 255 {
			rec.clusters++
		}
		if u.Home && rec.homes < 255 {
			rec.homes++
		}
		homeNow := u.Home && rec.homes == 1
		if homeNow {
			rec.home = ref
		}
		r.users[uid] = rec
		if !homeNow {
			continue
		}
		if key, err := ident.EmailKey(u.DirectoryURI); err == nil {
			count(r.emails, key, ref)
		}
		if jid, err := src.Addressing.JID(u.UserID, u.DirectoryURI); err == nil {
			count(r.jids, jid, ref)
		}
	}
}

func count(m map[string]claims, key string, ref rowRef) {
	c, ok := m[key]
	if !ok {
		m[key] = claims{n: 1, a: ref}
		return
	}
	if c.n < 65535 {
		c.n++
	}
	if c.n == 2 {
		c.b = ref
	}
	m[key] = c
}

// secondPass certifies each user at its chosen row: the home row, or the
// first row when no export homes it.
func (r *run) secondPass(ctx context.Context, si int) error {
	src := r.opt.UCM[si]
	f, err := r.open(src, "UCM")
	if err != nil {
		return err
	}
	defer f.Close()
	ur, err := export.NewUCMReader(f, src.Name, r.opt.Reader...)
	if err != nil {
		return fmt.Errorf("certify: %w", err)
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("certify: %w", ctx.Err())
		}
		u, err := ur.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			continue // reported in the first pass
		}
		rec, ok := r.users[lower(u.UserID)]
		if !ok {
			return fmt.Errorf("certify: %s changed between passes (user %q at line %d is new)", src.Name, u.UserID, u.Line)
		}
		chosen := rec.first
		if rec.homes > 0 {
			chosen = rec.home
		}
		if chosen != (rowRef{src: int16(si), line: int32(u.Line)}) {
			continue
		}
		v := r.certify(src, u, rec)
		if err := r.emit(v); err != nil {
			return err
		}
	}
}

func (r *run) certify(src Source, u export.UCMUser, rec userRec) Verdict {
	v := Verdict{
		Kind:         "ucm",
		UserID:       u.UserID,
		DirectoryURI: u.DirectoryURI,
		Mail:         u.Mail,
		Source:       fmt.Sprintf("%s:%d", src.Name, u.Line),
		IMPEnabled:   u.IMPEnabled,
	}
	if rec.homes > 0 {
		v.Cluster = src.Cluster
	}
	seen := map[string]bool{}
	for _, d := range u.Devices {
		if k := ident.DeviceKind(d); k != "" && !seen[k] {
			seen[k] = true
			v.Devices = append(v.Devices, k)
		}
	}
	sort.Strings(v.Devices)

	var w *webexRec
	var wKey string
	lookup := func(key string) *webexRec {
		if x, ok := r.webex[key]; ok {
			wKey = key
			return &x
		}
		return nil
	}
	dirKey, dirErr := ident.EmailKey(u.DirectoryURI)
	mailKey, mailErr := ident.EmailKey(u.Mail)
	jid, jidErr := src.Addressing.JID(u.UserID, u.DirectoryURI)
	if jidErr == nil {
		v.JID = jid
	}
	switch {
	case strings.TrimSpace(u.DirectoryURI) == "" && strings.TrimSpace(u.Mail) == "":
		v.Reasons = append(v.Reasons, reason(ReasonNoEmail, "no Directory URI and no MAIL ID: the user has no email for the connector to route to"))
	case strings.TrimSpace(u.DirectoryURI) == "":
		v.Reasons = append(v.Reasons, reason(ReasonNoDirectoryURI, fmt.Sprintf("Directory URI is empty but MAIL ID is %s: the connector routes to the Directory URI (map LDAP mail to it)", u.Mail)))
		if mailErr == nil {
			w = lookup(mailKey)
		}
	case dirErr != nil:
		v.Reasons = append(v.Reasons, reason(ReasonBadDirectoryURI, fmt.Sprintf("Directory URI %q is not an email address (%s)", clip(u.DirectoryURI), addrWhy(u.DirectoryURI, dirErr))))
		if mailErr == nil {
			w = lookup(mailKey)
		}
	default:
		v.Domain = ident.Domain(u.DirectoryURI)
		if w = lookup(dirKey); w != nil {
			if w.email != strings.TrimSpace(u.DirectoryURI) {
				v.Warnings = append(v.Warnings, reason(WarnCaseDiffers, fmt.Sprintf("Directory URI %s and Webex email %s differ only in case (the service ignores case)", u.DirectoryURI, w.email)))
			}
		} else {
			var via string
			if mailErr == nil && mailKey != dirKey {
				if w = lookup(mailKey); w != nil {
					via = "the user's MAIL ID"
				}
			}
			if w == nil && jidErr == nil && jid != dirKey {
				if w = lookup(jid); w != nil {
					via = "the user's JID"
				}
			}
			if w != nil {
				v.Reasons = append(v.Reasons, reason(ReasonDirectoryURIMismatch, fmt.Sprintf("Directory URI %s is no Webex identity; Webex email %s (%s) is: they must be equal", u.DirectoryURI, w.email, via)))
			} else {
				v.Reasons = append(v.Reasons, reason(ReasonNotInWebex, fmt.Sprintf("no Control Hub user has email %s (nor the MAIL ID or JID)", u.DirectoryURI)))
			}
		}
		if c := r.emails[dirKey]; c.n > 1 {
			v.Reasons = append(v.Reasons, reason(ReasonDuplicateEmail, fmt.Sprintf("%d UCM users have Directory URI %s (%s)", c.n, dirKey, r.pair(c))))
		}
		if mailErr == nil && mailKey != dirKey {
			v.Warnings = append(v.Warnings, reason(WarnMailDiffers, fmt.Sprintf("MAIL ID %s differs from Directory URI %s", u.Mail, u.DirectoryURI)))
		}
	}
	if v.Domain == "" && mailErr == nil {
		v.Domain = ident.Domain(u.Mail)
	}
	if w != nil {
		w.matched = true
		r.webex[wKey] = *w
		v.WebexEmail = w.email
		v.WebexSource = fmt.Sprintf("%s:%d", r.opt.Webex.Name, w.source)
		v.HybridMessage = w.hybrid
		v.WebexStatus = w.status
		if w.rows > 1 {
			v.Reasons = append(v.Reasons, reason(ReasonDuplicateEmail, fmt.Sprintf("%d Control Hub rows have email %s", w.rows, w.email)))
		}
	}
	if jidErr != nil {
		v.Reasons = append(v.Reasons, reason(ReasonNoJID, fmt.Sprintf("no JID (%s scheme): %v", src.Addressing.Scheme, unwrapAddr(jidErr))))
	} else {
		v.JIDIsEmail = dirErr == nil && jid == dirKey
		if c := r.jids[jid]; c.n > 1 {
			v.Reasons = append(v.Reasons, reason(ReasonDuplicateJID, fmt.Sprintf("%d UCM users form JID %s (%s)", c.n, jid, r.pair(c))))
		}
	}
	if !u.IMPEnabled {
		v.Reasons = append(v.Reasons, reason(ReasonIMPDisabled, "not enabled for Unified CM IM and Presence: enable the user on both sides"))
	}
	if w != nil && !w.hybrid {
		v.Reasons = append(v.Reasons, reason(ReasonHybridDisabled, fmt.Sprintf("Webex identity %s is not enabled for the Hybrid Message service: enable the user on both sides", w.email)))
	}
	switch {
	case rec.homes == 0:
		v.Reasons = append(v.Reasons, reason(ReasonNotHomed, fmt.Sprintf("HOME CLUSTER is false in all %d export(s) the user is in", rec.clusters)))
	case rec.homes > 1:
		v.Warnings = append(v.Warnings, reason(WarnHomedTwice, fmt.Sprintf("%d exports mark the user's home cluster; the first (%s) is used", rec.homes, src.Cluster)))
	}
	v.Routable = len(v.Reasons) == 0
	return v
}

// webexOnly reports the Control Hub identities enabled for Hybrid Message
// that no UCM user joined.
func (r *run) webexOnly() error {
	var only []webexRec
	for _, w := range r.webex {
		if w.matched {
			continue
		}
		if !w.hybrid {
			if r.opt.Shard.has("webex:" + lower(w.email)) {
				r.roll.webexUnused++
			}
			continue
		}
		only = append(only, w)
	}
	sort.Slice(only, func(i, j int) bool { return only[i].source < only[j].source })
	for _, w := range only {
		v := Verdict{
			Kind:          "webex",
			WebexEmail:    w.email,
			Domain:        ident.Domain(w.email),
			Source:        fmt.Sprintf("%s:%d", r.opt.Webex.Name, w.source),
			HybridMessage: true,
			WebexStatus:   w.status,
			Reasons:       []Reason{reason(ReasonNotInUCM, fmt.Sprintf("Webex identity %s is enabled for Hybrid Message but no UCM user has it as Directory URI", w.email))},
		}
		if w.rows > 1 {
			v.Reasons = append(v.Reasons, reason(ReasonDuplicateEmail, fmt.Sprintf("%d Control Hub rows have email %s", w.rows, w.email)))
		}
		if err := r.emit(v); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) emit(v Verdict) error {
	if !r.opt.Shard.has(v.Key()) {
		return nil
	}
	r.roll.add(v)
	if !v.Routable && len(r.sum.Unroutable) < r.opt.Listed {
		r.sum.Unroutable = append(r.sum.Unroutable, v)
	}
	if r.sample != nil && v.Kind == "ucm" {
		r.sample.offer(v)
	}
	if r.opt.Sink != nil {
		r.opt.Sink(v)
	}
	return r.out.verdict(v)
}

func (r *run) pair(c claims) string {
	at := func(ref rowRef) string { return fmt.Sprintf("%s:%d", r.opt.UCM[ref.src].Name, ref.line) }
	if c.n > 2 {
		return fmt.Sprintf("rows %s, %s and %d more", at(c.a), at(c.b), c.n-2)
	}
	return "rows " + at(c.a) + " and " + at(c.b)
}

// addrWhy is the reason of an ident error without the address it repeats.
func addrWhy(addr string, err error) string {
	why := unwrapAddr(err)
	for _, q := range []string{fmt.Sprintf("%q: ", strings.TrimSpace(addr)), fmt.Sprintf("%q ", strings.TrimSpace(addr))} {
		why = strings.TrimPrefix(why, q)
	}
	return why
}

func unwrapAddr(err error) string {
	return strings.TrimPrefix(err.Error(), ident.ErrAddress.Error()+": ")
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
