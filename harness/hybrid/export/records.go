package export

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Defaults for the record limits; WithMaxField and WithMaxRecord change them.
const (
	// DefaultMaxField bounds one field (64 KiB): no user attribute is
	// near it, so a bigger one is junk.
	DefaultMaxField = 64 << 10
	// DefaultMaxRecord bounds the raw bytes of one record, quoted newlines
	// included (1 MiB). A longer record is skipped to the end of its line.
	DefaultMaxRecord = 1 << 20
	// MaxFields bounds the fields of one record.
	MaxFields = 4096
	// sniffSize is how much of the start of a file is checked for binary
	// content before anything is parsed.
	sniffSize = 8 << 10
)

// errors found while cutting records, before any column is looked at.
var (
	errTooLong      = errors.New("record too long")
	errUnterminated = errors.New("quoted field not terminated")
)

// records cuts an RFC 4180 stream into records: quoted fields may hold
// commas, doubled quotes and line breaks; CRLF and LF both end a record;
// a UTF-8 byte order mark is skipped; blank lines are skipped. It is
// lenient where files in the wild are sloppy (a quote inside an unquoted
// field, text after a closing quote are kept literally) and strict about
// size. It never holds more than one record: a record whose quote never
// closes is reported at its first line and parsing resumes on the line
// after it, so one stray quote costs one line, not the rest of the file.
type records struct {
	src       *bufio.Reader
	pending   []byte // bytes pushed back after an unterminated quote
	line      int    // line number of the next byte, pending first (1-based)
	srcLine   int    // line number of the next byte of src
	maxField  int
	maxRecord int

	raw    []byte // raw bytes of the record being cut
	field  []byte // unquoted field contents, all fields end to end
	ends   []int  // end offset of each field in field
	fields [][]byte
	eof    bool
}

// recordError is a problem with one record; the stream goes on.
type recordError struct {
	line int
	err  error
}

func (e *recordError) Error() string { return e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

func newRecords(r io.Reader, maxField, maxRecord int) (*records, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if len(head) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrNotCSV)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return nil, fmt.Errorf("%w: UTF-16 encoded (save the export as CSV UTF-8)", ErrNotCSV)
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return nil, fmt.Errorf("%w: gzip data (unpack the export first)", ErrNotCSV)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return nil, fmt.Errorf("%w: a ZIP archive (an .xlsx workbook or a zipped export; export as CSV)", ErrNotCSV)
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return nil, fmt.Errorf("%w: a PDF document", ErrNotCSV)
	}
	// A NUL in the header line, or many in the first 8 KiB, is a binary
	// file; a NUL further down is one bad row.
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	if i := bytes.IndexByte(first, 0); i >= 0 {
		return nil, fmt.Errorf("%w: binary content (NUL byte at offset %d)", ErrNotCSV, i)
	}
	if n := bytes.Count(head, []byte{0}); n > 16 && n > len(head)/64 {
		return nil, fmt.Errorf("%w: binary content (%d NUL bytes in the first %d)", ErrNotCSV, n, len(head))
	}
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	return &records{src: br, line: 1, srcLine: 1, maxField: maxField, maxRecord: maxRecord}, nil
}

// next returns the next record's fields (valid until the next call) and
// the line it starts on. It returns io.EOF at the end, a *recordError for a
// record that cannot be cut (the stream goes on), or an I/O error.
func (r *records) next() ([][]byte, int, error) {
	for {
		if r.eof && len(r.pending) == 0 {
			return nil, r.line, io.EOF
		}
		start := r.line
		fields, err := r.cut()
		if err != nil {
			var re *recordError
			if errors.As(err, &re) {
				re.line = start
			}
			return nil, start, err
		}
		if fields == nil { // blank line
			continue
		}
		return fields, start, nil
	}
}

// readLine appends one line (through its LF, or to EOF) to r.raw. It
// returns io.EOF when there was nothing left to append, and a
// *recordError when the record grows past maxRecord (the rest of that line
// is then discarded).
func (r *records) readLine() error {
	n0 := len(r.raw)
	if len(r.pending) > 0 {
		if i := bytes.IndexByte(r.pending, '\n'); i >= 0 {
			r.raw = append(r.raw, r.pending[:i+1]...)
			r.pending = r.pending[i+1:]
			r.line++
			if len(r.pending) == 0 {
				r.line = r.srcLine
			}
			return r.checkRaw()
		}
		// Pushed-back bytes without an LF only happen at the end of input.
		r.raw = append(r.raw, r.pending...)
		r.pending = nil
		r.line = r.srcLine
		if err := r.checkRaw(); err != nil {
			return err
		}
	}
	for !r.eof {
		chunk, err := r.src.ReadSlice('\n')
		r.raw = append(r.raw, chunk...)
		switch {
		case err == nil:
			r.srcLine++
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			r.eof = true
		default:
			return err
		}
		r.line = r.srcLine
		if cerr := r.checkRaw(); cerr != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				r.skipLine()
			}
			return cerr
		}
		if err == nil {
			return nil
		}
	}
	if len(r.raw) == n0 {
		return io.EOF
	}
	return nil
}

func (r *records) checkRaw() error {
	if len(r.raw) > r.maxRecord {
		return &recordError{err: fmt.Errorf("%w: more than %d bytes", errTooLong, r.maxRecord)}
	}
	return nil
}

// skipLine discards the source through the next LF.
func (r *records) skipLine() {
	for {
		_, err := r.src.ReadSlice('\n')
		switch {
		case err == nil:
			r.srcLine++
			r.line = r.srcLine
			return
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			r.eof = true
			return
		}
	}
}

// cut reads and splits one record. nil fields and nil error is a blank
// line.
func (r *records) cut() ([][]byte, error) {
	r.raw = r.raw[:0]
	r.field = r.field[:0]
	r.ends = r.ends[:0]
	startLine := r.line
	if err := r.readLine(); err != nil {
		return nil, err
	}
	if isBlank(r.raw) {
		return nil, nil
	}
	pos := 0
	for {
		if len(r.ends) >= MaxFields {
			return nil, &recordError{err: fmt.Errorf("more than %d fields", MaxFields)}
		}
		fieldStart := len(r.field)
		if pos < len(r.raw) && r.raw[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(r.raw[pos:], '"')
				if i < 0 {
					r.field = append(r.field, r.raw[pos:]...)
					pos = len(r.raw)
					if err := r.readLine(); err != nil {
						var re *recordError
						if errors.Is(err, io.EOF) || errors.As(err, &re) {
							return nil, r.unterminated(startLine, err)
						}
						return nil, err
					}
					continue
				}
				r.field = append(r.field, r.raw[pos:pos+i]...)
				pos += i + 1
				if pos < len(r.raw) && r.raw[pos] == '"' {
					r.field = append(r.field, '"')
					pos++
					continue
				}
				break
			}
			// Lenient: anything after the closing quote up to the next
			// comma or line end is kept as it is.
			j := fieldEnd(r.raw[pos:])
			r.field = append(r.field, r.raw[pos:pos+j]...)
			pos += j
		} else {
			j := fieldEnd(r.raw[pos:])
			r.field = append(r.field, r.raw[pos:pos+j]...)
			pos += j
		}
		// Normalise CRLF inside quoted fields to LF, as encoding/csv does.
		if f := r.field[fieldStart:]; bytes.Contains(f, []byte("\r\n")) {
			r.field = append(r.field[:fieldStart], bytes.ReplaceAll(f, []byte("\r\n"), []byte("\n"))...)
		}
		if n := len(r.field) - fieldStart; n > r.maxField {
			return nil, &recordError{err: fmt.Errorf("field %d is %d bytes, more than %d", len(r.ends)+1, n, r.maxField)}
		}
		r.ends = append(r.ends, len(r.field))
		if pos < len(r.raw) && r.raw[pos] == ',' {
			pos++
			continue
		}
		break
	}
	r.fields = r.fields[:0]
	prev := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, r.field[prev:e:e])
		prev = e
	}
	return r.fields, nil
}

// unterminated reports a quote that did not close (before the end of the
// input, or within maxRecord bytes) and pushes back every complete line
// after the record's first, so parsing resumes on the next line.
func (r *records) unterminated(startLine int, cause error) error {
	rest := r.raw
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = nil
	}
	if errors.Is(cause, errTooLong) {
		// The line that overflowed was discarded to its end: push back
		// only the lines before it.
		if j := bytes.LastIndexByte(rest, '\n'); j >= 0 {
			rest = rest[:j+1]
		} else {
			rest = nil
		}
	}
	if len(rest) > 0 {
		r.pending = append(append([]byte(nil), rest...), r.pending...)
		r.line = startLine + 1
	}
	if errors.Is(cause, errTooLong) {
		return &recordError{err: fmt.Errorf("%w within %d bytes", errUnterminated, r.maxRecord)}
	}
	return &recordError{err: errUnterminated}
}

// fieldEnd is the length of an unquoted field at the start of b: up to a
// comma, CRLF, LF or the end.
func fieldEnd(b []byte) int {
	i := bytes.IndexAny(b, ",\n")
	if i < 0 {
		i = len(b)
	}
	if i > 0 && b[i-1] == '\r' && (i == len(b) || b[i] == '\n') {
		return i - 1
	}
	return i
}

func isBlank(b []byte) bool {
	return len(bytes.TrimRight(b, "\r\n")) == 0
}

// checkField says why a field is not text: invalid UTF-8, a NUL or another
// control character (tab, CR and LF are text).
func checkField(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8")
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			if c == 0 {
				return errors.New("binary data (NUL byte)")
			}
			return fmt.Errorf("binary data (control character 0x%02x)", c)
		}
	}
	return nil
}
