package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Writer writes an export: a header, then records, keeping count of the
// line each record starts on (quoted line breaks included) so a generator
// knows where it put every row. WriteRaw lets it put in deliberately broken
// lines.
type Writer struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	header []string
	index  map[string]int
	line   int // line the next record starts on
	crlf   bool
}

// NewWriter writes header (and a UTF-8 byte order mark first when bom) to
// w. crlf ends lines with CRLF, as Windows tools do.
func NewWriter(w io.Writer, header []string, crlf, bom bool) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	if bom {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return nil, err
		}
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = crlf
	out := &Writer{bw: bw, cw: cw, header: append([]string(nil), header...), index: map[string]int{}, line: 1, crlf: crlf}
	for i, h := range header {
		out.index[normHeader(h)] = i
	}
	if _, err := out.Write(header); err != nil {
		return nil, err
	}
	return out, nil
}

// Index is the position of column name in the header, or -1.
func (w *Writer) Index(name string) int {
	i, ok := w.index[normHeader(name)]
	if !ok {
		return -1
	}
	return i
}

// Width is the number of columns.
func (w *Writer) Width() int { return len(w.header) }

// Write writes one record and returns the line it starts on.
func (w *Writer) Write(rec []string) (int, error) {
	start := w.line
	if err := w.cw.Write(rec); err != nil {
		return start, fmt.Errorf("export: write: %w", err)
	}
	w.line++
	for _, f := range rec {
		w.line += strings.Count(f, "\n")
	}
	return start, nil
}

// WriteRaw writes s as it is (it must end with a line break) and returns
// the line it starts on.
func (w *Writer) WriteRaw(s string) (int, error) {
	start := w.line
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return start, fmt.Errorf("export: write: %w", err)
	}
	if _, err := w.bw.WriteString(s); err != nil {
		return start, fmt.Errorf("export: write: %w", err)
	}
	w.line += strings.Count(s, "\n")
	return start, nil
}

// Line is the line the next record will start on.
func (w *Writer) Line() int { return w.line }

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

// EncodeUCM writes users as a minimal UCM end-user export (the columns the
// reader maps, CONTROLLED DEVICE 1..n for the most devices any user has).
func EncodeUCM(w io.Writer, users []UCMUser) error {
	nd := 0
	for _, u := range users {
		nd = max(nd, len(u.Devices))
	}
	header := []string{HeaderUserID, HeaderMail, HeaderDirectoryURI, HeaderHomeCluster, HeaderIMPEnabled, HeaderPresenceServer}
	for i := 1; i <= nd; i++ {
		header = append(header, fmt.Sprintf("%s %d", HeaderDevicePrefix, i))
	}
	cw, err := NewWriter(w, header, false, false)
	if err != nil {
		return err
	}
	for _, u := range users {
		rec := []string{u.UserID, u.Mail, u.DirectoryURI, tf(u.Home), tf(u.IMPEnabled), u.PresenceServer}
		for i := 0; i < nd; i++ {
			d := ""
			if i < len(u.Devices) {
				d = u.Devices[i]
			}
			rec = append(rec, d)
		}
		if _, err := cw.Write(rec); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// EncodeWebex writes users as a minimal Control Hub users export.
func EncodeWebex(w io.Writer, users []WebexUser) error {
	cw, err := NewWriter(w, []string{HeaderWebexEmail, HeaderWebexStatus, HeaderHybridMessage}, false, false)
	if err != nil {
		return err
	}
	for _, u := range users {
		hm := "FALSE"
		if u.HybridMessage {
			hm = "TRUE"
		}
		if _, err := cw.Write([]string{u.Email, u.Status, hm}); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// tf writes a boolean the way Bulk Administration does.
func tf(b bool) string {
	if b {
		return "t"
	}
	return "f"
}
