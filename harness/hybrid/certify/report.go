package certify

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"example.com/cutover/harness/hybrid/export"
)

// Report file names, in Options.ReportDir.
const (
	UsersCSV   = "hybrid-users.csv"
	UsersJSON  = "hybrid-users.json"
	ErrorsCSV  = "hybrid-errors.csv"
	RollupJSON = "hybrid-rollup.json"
	// SectionHTML is a <section> for the HTML report: self-contained
	// (its own scoped <style>), no JavaScript.
	SectionHTML = "hybrid-section.html"
)

// usersHeader is the per-user CSV's header.
func usersHeader() []string {
	return []string{"kind", "user_id", "home_cluster", "jid", "directory_uri", "mail_id", "webex_email", "domain",
		"imp_enabled", "hybrid_message", "webex_status", "device_types", "jid_is_email", "routable",
		"reasons", "checks", "details", "warnings", "source", "webex_source"}
}

type outFile struct {
	f  *os.File
	bw *bufio.Writer
}

func create(dir, name string) (*outFile, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	return &outFile{f: f, bw: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (o *outFile) close() error {
	if o == nil || o.f == nil {
		return nil
	}
	err := o.bw.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	return err
}

// writers streams the per-user files and writes the rest at the end. The
// zero value (no report directory) writes nothing.
type writers struct {
	dir      string
	users    *outFile
	usersCSV *csv.Writer
	json     *outFile
	jsonN    int
	errs     *outFile
	errsCSV  *csv.Writer
	rec      []string
	buf      []byte
	finished bool
}

func newWriters(dir string) (*writers, error) {
	w := &writers{dir: dir}
	if dir == "" {
		return w, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	var err error
	if w.users, err = create(dir, UsersCSV); err != nil {
		return nil, err
	}
	w.usersCSV = csv.NewWriter(w.users.bw)
	if err := w.usersCSV.Write(usersHeader()); err != nil {
		w.abort()
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	if w.json, err = create(dir, UsersJSON); err != nil {
		w.abort()
		return nil, err
	}
	if _, err := w.json.bw.WriteString("["); err != nil {
		w.abort()
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	if w.errs, err = create(dir, ErrorsCSV); err != nil {
		w.abort()
		return nil, err
	}
	w.errsCSV = csv.NewWriter(w.errs.bw)
	if err := w.errsCSV.Write([]string{"file", "line", "reason"}); err != nil {
		w.abort()
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	return w, nil
}

// cell defuses a value a spreadsheet would run as a formula (OWASP CSV
// injection): the exports are user files.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func yn(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (w *writers) verdict(v Verdict) error {
	if w.users == nil {
		return nil
	}
	var codes, checks, details, warns []string
	for _, r := range v.Reasons {
		codes = append(codes, r.Code)
		checks = append(checks, r.Check)
		details = append(details, r.Detail)
	}
	for _, r := range v.Warnings {
		warns = append(warns, r.Code+": "+r.Detail)
	}
	w.rec = append(w.rec[:0], v.Kind, cell(v.UserID), cell(v.Cluster), cell(v.JID), cell(v.DirectoryURI), cell(v.Mail),
		cell(v.WebexEmail), cell(v.Domain), yn(v.IMPEnabled), yn(v.HybridMessage), cell(v.WebexStatus),
		strings.Join(v.Devices, "+"), yn(v.JIDIsEmail), yn(v.Routable), strings.Join(codes, ";"),
		strings.Join(uniq(checks), ";"), cell(strings.Join(details, " | ")), cell(strings.Join(warns, " | ")),
		cell(v.Source), cell(v.WebexSource))
	if err := w.usersCSV.Write(w.rec); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	w.buf = appendVerdict(w.buf[:0], v)
	return w.element(w.buf)
}

// element writes one element of the per-user JSON array.
func (w *writers) element(b []byte) error {
	sep := ",\n"
	if w.jsonN == 0 {
		sep = "\n"
	}
	w.jsonN++
	if _, err := w.json.bw.WriteString(sep); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	if _, err := w.json.bw.Write(b); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	return nil
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		dup := false
		for _, y := range out {
			dup = dup || x == y
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

func (w *writers) rowError(e *export.RowError) error {
	if w.errs == nil {
		return nil
	}
	if err := w.errsCSV.Write([]string{cell(e.File), fmt.Sprint(e.Line), cell(e.Reason)}); err != nil {
		return fmt.Errorf("certify: report: %w", err)
	}
	return nil
}

// finish closes the streams and writes the roll-up and the HTML section.
func (w *writers) finish(sum *Summary) ([]string, error) {
	w.finished = true
	if w.users == nil {
		return nil, nil
	}
	w.usersCSV.Flush()
	w.errsCSV.Flush()
	_, jerr := w.json.bw.WriteString("\n]\n")
	err := errors.Join(w.usersCSV.Error(), w.errsCSV.Error(), jerr, w.users.close(), w.json.close(), w.errs.close())
	if err != nil {
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	files := []string{UsersCSV, UsersJSON, ErrorsCSV, RollupJSON, SectionHTML}
	rollup, err := create(w.dir, RollupJSON)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(rollup.bw)
	enc.SetIndent("", "  ")
	out := *sum
	out.Files = files
	if err := errors.Join(enc.Encode(out), rollup.close()); err != nil {
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	html, err := create(w.dir, SectionHTML)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(WriteSection(html.bw, out), html.close()); err != nil {
		return nil, fmt.Errorf("certify: report: %w", err)
	}
	return files, nil
}

// abort closes whatever is open after a failed run.
func (w *writers) abort() {
	if w == nil || w.finished {
		return
	}
	_ = w.users.close()
	_ = w.json.close()
	_ = w.errs.close()
}
