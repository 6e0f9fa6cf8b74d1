package export

import (
	"fmt"
	"io"
)

// Fields of the UCM end-user export, for WithColumnNames and Has.
const (
	UCMUserID         = "ucm.user_id"
	UCMMail           = "ucm.mail_id"
	UCMDirectoryURI   = "ucm.directory_uri"
	UCMHomeCluster    = "ucm.home_cluster"
	UCMIMPEnabled     = "ucm.imp_enabled"
	UCMPresenceServer = "ucm.presence_server"
	UCMDevice         = "ucm.controlled_device"
)

// UCM column headers as Bulk Administration exports them (Bulk
// Administration > Users > Export Users, file format "All User Details").
const (
	HeaderUserID         = "USER ID"
	HeaderMail           = "MAIL ID"
	HeaderDirectoryURI   = "DIRECTORY URI"
	HeaderHomeCluster    = "HOME CLUSTER"
	HeaderIMPEnabled     = "ENABLE USER FOR UNIFIED CM IM AND PRESENCE"
	HeaderPresenceServer = "ASSIGNED PRESENCE SERVER"
	HeaderDevicePrefix   = "CONTROLLED DEVICE"
)

func ucmColumns() []column {
	return []column{
		{field: UCMUserID, names: []string{HeaderUserID, "USERID", "User ID"}, required: true},
		{field: UCMMail, names: []string{HeaderMail, "MAILID", "Mail ID", "EMAIL"}, required: true},
		{field: UCMDirectoryURI, names: []string{HeaderDirectoryURI, "Directory URI"}, required: true,
			why: "the Hybrid Message connector routes to it; export with the All User Details format"},
		{field: UCMHomeCluster, names: []string{HeaderHomeCluster, "Home Cluster"}},
		{field: UCMIMPEnabled, names: []string{HeaderIMPEnabled, "ENABLE USER FOR UNIFIED CM IM & PRESENCE", "ENABLE CUP", "Enable User for Unified CM IM and Presence"}},
		{field: UCMPresenceServer, names: []string{HeaderPresenceServer}},
		{field: UCMDevice, prefix: HeaderDevicePrefix},
	}
}

// UCMUser is one row of the UCM end-user export.
type UCMUser struct {
	// Line is where the row starts in its file (1-based).
	Line         int
	UserID       string
	Mail         string
	DirectoryURI string
	// Home is HOME CLUSTER (t: the user is homed on the exporting
	// cluster); true when the export has no such column.
	Home bool
	// IMPEnabled is ENABLE USER FOR UNIFIED CM IM AND PRESENCE; true when
	// the export has no such column (see UCMReader.Has).
	IMPEnabled     bool
	PresenceServer string
	Devices        []string
}

// UCMReader reads the UCM end-user export row by row.
type UCMReader struct{ r *reader }

// NewUCMReader reads the header of a UCM end-user export. file names it in
// errors. It fails with ErrNotCSV or ErrColumns (USER ID, MAIL ID and
// DIRECTORY URI are required).
func NewUCMReader(r io.Reader, file string, opts ...Option) (*UCMReader, error) {
	rd, err := open(r, file, ucmColumns(), opts)
	if err != nil {
		return nil, err
	}
	return &UCMReader{r: rd}, nil
}

// Has reports whether the export has the column for field.
func (u *UCMReader) Has(field string) bool {
	if field == UCMDevice {
		return len(u.r.t.family[UCMDevice]) > 0
	}
	_, ok := u.r.t.index[field]
	return ok
}

// Header returns the header's column names as they were written.
func (u *UCMReader) Header() []string { return append([]string(nil), u.r.t.headers...) }

// Next returns the next user. It returns io.EOF at the end; a *RowError
// (errors.Is(err, ErrRow)) for a bad row, after which Next goes on; any
// other error is fatal.
func (u *UCMReader) Next() (UCMUser, error) {
	fields, line, err := u.r.row()
	if err != nil {
		return UCMUser{Line: line}, err
	}
	out := UCMUser{
		Line:           line,
		UserID:         u.r.get(fields, UCMUserID),
		Mail:           u.r.get(fields, UCMMail),
		DirectoryURI:   u.r.get(fields, UCMDirectoryURI),
		PresenceServer: u.r.get(fields, UCMPresenceServer),
		Home:           true,
		IMPEnabled:     true,
	}
	if out.UserID == "" {
		return out, &RowError{File: u.r.file, Line: line, Reason: "empty USER ID"}
	}
	if u.Has(UCMHomeCluster) {
		if out.Home, err = parseBool(u.r.get(fields, UCMHomeCluster)); err != nil {
			return out, &RowError{File: u.r.file, Line: line, Reason: fmt.Sprintf("HOME CLUSTER: %v", err)}
		}
	}
	if u.Has(UCMIMPEnabled) {
		if out.IMPEnabled, err = parseBool(u.r.get(fields, UCMIMPEnabled)); err != nil {
			return out, &RowError{File: u.r.file, Line: line, Reason: fmt.Sprintf("%s: %v", u.r.t.headers[u.r.t.index[UCMIMPEnabled]], err)}
		}
	}
	for _, i := range u.r.t.family[UCMDevice] {
		if d := trimmed(fields[i]); d != "" {
			out.Devices = append(out.Devices, d)
		}
	}
	return out, nil
}

// Rows is how many records Next has read so far, bad ones included.
func (u *UCMReader) Rows() int { return u.r.rows }
