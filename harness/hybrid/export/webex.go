package export

import (
	"fmt"
	"io"
	"strings"
)

// Fields of the Control Hub users export, for WithColumnNames and Has.
const (
	WebexEmail         = "webex.email"
	WebexStatus        = "webex.status"
	WebexHybridMessage = "webex.hybrid_message"
)

// Control Hub column headers (Management > Users > Manage users by CSV >
// Export CSV, with user licenses included).
const (
	HeaderWebexEmail  = "User ID/Email (Required)"
	HeaderWebexStatus = "User Status"
	// HeaderHybridMessage is the service column the harness expects; the
	// alternatives in webexColumns are accepted too (see README.md).
	HeaderHybridMessage = "Hybrid Message Service"
)

func webexColumns() []column {
	return []column{
		{field: WebexEmail, names: []string{HeaderWebexEmail, "User ID/Email", "Email"}, required: true},
		{field: WebexStatus, names: []string{HeaderWebexStatus, "Status"}},
		{field: WebexHybridMessage, names: []string{HeaderHybridMessage, "Hybrid Message", "Hybrid Messaging", "Hybrid Messaging Service"},
			required: true, why: "export with User licenses so the service columns are included"},
	}
}

func knownField(f string) bool {
	for _, cols := range [][]column{ucmColumns(), webexColumns()} {
		for _, c := range cols {
			if c.field == f {
				return true
			}
		}
	}
	return false
}

// WebexUser is one row of the Control Hub users export.
type WebexUser struct {
	Line          int
	Email         string
	Status        string
	HybridMessage bool
}

// WebexReader reads the Control Hub users export row by row.
type WebexReader struct{ r *reader }

// NewWebexReader reads the header of a Control Hub users export. It fails
// with ErrNotCSV or ErrColumns (the User ID/Email and Hybrid Message
// columns are required).
func NewWebexReader(r io.Reader, file string, opts ...Option) (*WebexReader, error) {
	rd, err := open(r, file, webexColumns(), opts)
	if err != nil {
		return nil, err
	}
	return &WebexReader{r: rd}, nil
}

// Has reports whether the export has the column for field.
func (w *WebexReader) Has(field string) bool {
	_, ok := w.r.t.index[field]
	return ok
}

// Header returns the header's column names as they were written.
func (w *WebexReader) Header() []string { return append([]string(nil), w.r.t.headers...) }

// Next returns the next user; errors as for UCMReader.Next.
func (w *WebexReader) Next() (WebexUser, error) {
	fields, line, err := w.r.row()
	if err != nil {
		return WebexUser{Line: line}, err
	}
	out := WebexUser{Line: line, Email: w.r.get(fields, WebexEmail), Status: w.r.get(fields, WebexStatus)}
	if out.Email == "" {
		return out, &RowError{File: w.r.file, Line: line, Reason: "empty User ID/Email"}
	}
	if out.HybridMessage, err = parseBool(w.r.get(fields, WebexHybridMessage)); err != nil {
		return out, &RowError{File: w.r.file, Line: line, Reason: fmt.Sprintf("%s: %v", w.r.t.headers[w.r.t.index[WebexHybridMessage]], err)}
	}
	return out, nil
}

// Rows is how many records Next has read so far, bad ones included.
func (w *WebexReader) Rows() int { return w.r.rows }

func trimmed(b []byte) string { return strings.TrimSpace(string(b)) }
