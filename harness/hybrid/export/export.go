// Package export reads the two user exports a project lead has before a
// Jabber to Webex cutover: the UCM end-user export (Bulk Administration,
// Export Users, CSV) and the Control Hub users export (CSV). Both are read
// as streams, one record at a time; columns are found by their header name
// (any order, unknown extra columns ignored). A bad row is a *RowError with
// the file and line, and reading goes on; a file that is not a CSV, or has
// no header with the required columns, fails at NewUCMReader or
// NewWebexReader. See README.md for the column names and their sources.
package export

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Sentinels; every error the readers return wraps one of them (or is an
// I/O error from the underlying reader).
const (
	// ErrNotCSV: the file is not a CSV (empty, binary, UTF-16, an archive,
	// or its first record cannot be cut).
	ErrNotCSV = sentinel("export: not a CSV file")
	// ErrColumns: the header lacks a required column, or names one twice.
	ErrColumns = sentinel("export: missing or ambiguous columns")
	// ErrRow: one row is bad; the reader goes on with the next.
	ErrRow = sentinel("export: bad row")
)

type sentinel string

func (s sentinel) Error() string { return string(s) }

// RowError is one bad row: where it is and why.
type RowError struct {
	File   string
	Line   int
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Unwrap makes errors.Is(err, ErrRow) true.
func (e *RowError) Unwrap() error { return ErrRow }

// Option configures a reader.
type Option func(*config) error

type config struct {
	maxField, maxRecord int
	aliases             map[string][]string
}

func defaultConfig() config {
	return config{maxField: DefaultMaxField, maxRecord: DefaultMaxRecord, aliases: map[string][]string{}}
}

// WithMaxField sets the largest field accepted; default 64 KiB.
func WithMaxField(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("max field %d", n)
		}
		c.maxField = n
		return nil
	}
}

// WithMaxRecord sets the largest raw record accepted; default 1 MiB.
func WithMaxRecord(n int) Option {
	return func(c *config) error {
		if n < 64 {
			return fmt.Errorf("max record %d", n)
		}
		c.maxRecord = n
		return nil
	}
}

// WithColumnNames adds header names accepted for field (one of the Field
// constants), for exports whose headers are localised or renamed, e.g.
// WithColumnNames(WebexEmail, "ID utilisateur/e-mail (obligatoire)").
func WithColumnNames(field string, names ...string) Option {
	return func(c *config) error {
		if !knownField(field) {
			return fmt.Errorf("unknown field %q", field)
		}
		for _, n := range names {
			if normHeader(n) == "" {
				return fmt.Errorf("empty column name for %s", field)
			}
		}
		c.aliases[field] = append(c.aliases[field], names...)
		return nil
	}
}

func apply(opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, fmt.Errorf("export: option: %w", err)
		}
	}
	if c.maxField > c.maxRecord {
		c.maxField = c.maxRecord
	}
	return c, nil
}

// column says how a field is found in a header.
type column struct {
	field    string
	names    []string // exact names, compared by normHeader
	prefix   string   // or a numbered family: "CONTROLLED DEVICE" matches "CONTROLLED DEVICE 1", …
	required bool
	why      string // added to the error when a required column is missing
}

// normHeader folds a header name for comparison: case, runs of white space,
// and Control Hub's " (Suspended)" suffix on a suspended service's column
// are ignored.
func normHeader(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	s = strings.ToLower(s)
	s = strings.TrimSuffix(s, " (suspended)")
	return s
}

// table is a header resolved against columns.
type table struct {
	file    string
	width   int
	index   map[string]int   // field → column index
	family  map[string][]int // prefix field → column indexes
	headers []string
}

func resolve(file string, header [][]byte, cols []column, c config) (*table, error) {
	t := &table{file: file, width: len(header), index: map[string]int{}, family: map[string][]int{}}
	seen := map[string]int{}
	for i, h := range header {
		if err := checkField(h); err != nil {
			return nil, fmt.Errorf("%w: %s: header field %d: %v", ErrNotCSV, file, i+1, err)
		}
		name := string(h)
		t.headers = append(t.headers, name)
		seen[normHeader(name)]++
	}
	var missing []string
	for _, col := range cols {
		if col.prefix != "" {
			p := normHeader(col.prefix)
			for i, h := range t.headers {
				n := normHeader(h)
				if rest, ok := strings.CutPrefix(n, p); ok && (rest == "" || isNumber(strings.TrimSpace(rest))) {
					t.family[col.field] = append(t.family[col.field], i)
				}
			}
			continue
		}
		names := append(append([]string(nil), col.names...), c.aliases[col.field]...)
		found := -1
		for _, want := range names {
			w := normHeader(want)
			for i, h := range t.headers {
				if normHeader(h) != w {
					continue
				}
				if seen[w] > 1 {
					return nil, fmt.Errorf("%w: %s: column %q appears %d times", ErrColumns, file, h, seen[w])
				}
				if found >= 0 && found != i {
					return nil, fmt.Errorf("%w: %s: both %q and %q name the %s column", ErrColumns, file, t.headers[found], h, col.field)
				}
				found = i
			}
		}
		if found >= 0 {
			t.index[col.field] = found
		} else if col.required {
			m := fmt.Sprintf("%q", col.names[0])
			if col.why != "" {
				m += " (" + col.why + ")"
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		have := strings.Join(clipList(t.headers, 12), ", ")
		return nil, fmt.Errorf("%w: %s: no column %s; the header has: %s", ErrColumns, file, strings.Join(missing, ", "), have)
	}
	return t, nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func clipList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), fmt.Sprintf("… (%d more)", len(s)-n))
}

// reader is what both typed readers share: records plus a resolved header.
type reader struct {
	rec  *records
	t    *table
	cfg  config
	file string
	rows int
}

func open(r io.Reader, file string, cols []column, opts []Option) (*reader, error) {
	c, err := apply(opts)
	if err != nil {
		return nil, err
	}
	rec, err := newRecords(r, c.maxField, c.maxRecord)
	if err != nil {
		if errors.Is(err, ErrNotCSV) {
			return nil, fmt.Errorf("%w: %s: %s", ErrNotCSV, file, strings.TrimPrefix(err.Error(), ErrNotCSV.Error()+": "))
		}
		return nil, fmt.Errorf("export: %s: %w", file, err)
	}
	header, line, err := rec.next()
	if err != nil {
		var re *recordError
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: %s: no header row", ErrNotCSV, file)
		case errors.As(err, &re):
			return nil, fmt.Errorf("%w: %s:%d: header: %v", ErrNotCSV, file, line, re.err)
		}
		return nil, fmt.Errorf("export: %s: %w", file, err)
	}
	if len(header) < 2 {
		return nil, fmt.Errorf("%w: %s:%d: the first row has %d field; a header has several", ErrNotCSV, file, line, len(header))
	}
	t, err := resolve(file, header, cols, c)
	if err != nil {
		return nil, err
	}
	return &reader{rec: rec, t: t, cfg: c, file: file}, nil
}

// row returns the next good record, or a *RowError, io.EOF or an I/O
// error.
func (r *reader) row() ([][]byte, int, error) {
	fields, line, err := r.rec.next()
	if err != nil {
		var re *recordError
		if errors.As(err, &re) {
			r.rows++
			return nil, line, &RowError{File: r.file, Line: line, Reason: re.err.Error()}
		}
		if errors.Is(err, io.EOF) {
			return nil, line, io.EOF
		}
		return nil, line, fmt.Errorf("export: %s:%d: %w", r.file, line, err)
	}
	r.rows++
	if len(fields) != r.t.width {
		return nil, line, &RowError{File: r.file, Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(fields), r.t.width)}
	}
	for i, f := range fields {
		if err := checkField(f); err != nil {
			return nil, line, &RowError{File: r.file, Line: line, Reason: fmt.Sprintf("column %q: %v", r.t.headers[i], err)}
		}
	}
	return fields, line, nil
}

func (r *reader) get(fields [][]byte, field string) string {
	i, ok := r.t.index[field]
	if !ok {
		return ""
	}
	return strings.TrimSpace(string(fields[i]))
}

// parseBool parses an export's boolean: t/true/yes/y/1/enabled and
// f/false/no/n/0/disabled (any case); empty is false. BAT writes t and f,
// Control Hub TRUE and FALSE.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "yes", "y", "1", "enabled", "on":
		return true, nil
	case "f", "false", "no", "n", "0", "disabled", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want TRUE or FALSE)", clip(s))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}
