package target

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Hybrid is the site's part for Hybrid Messaging (the hybrid capability).
// Its YAML key is "hybrid"; unknown keys are an error. Which users migrate
// is said per user (HybridUser).
type Hybrid struct {
	// WebexAPI is the host of the Webex REST API. Default: webexapis.com.
	WebexAPI string `yaml:"webex_api,omitempty"`
	// AXL is the IM&P publisher's AXL service the connector reads JID and
	// Directory URI from; the checks read it the same way.
	AXL HybridAXL `yaml:"axl,omitempty"`
	// OrgUsers is how many users the organisation enables for Hybrid
	// Message (HYB-09).
	OrgUsers int `yaml:"org_users,omitempty"`
	// Connectors are the connector clusters (Expressway-C) and the IM&P
	// clusters each serves (HYB-09).
	Connectors []HybridConnector `yaml:"connectors,omitempty"`
	// Exports are the user exports the bulk check certifies, relative to
	// the target file.
	Exports HybridExports `yaml:"exports,omitempty"`

	// EmailChange, when set, lets HYB-05 change a test user's Directory
	// URI over AXL (the AXL user needs write access) and change it back.
	EmailChange *HybridEmailChange `yaml:"email_change,omitempty"`

	// FS, when set, is where export names are read from instead of the
	// target file's directory (the example site's embedded fixtures).
	FS fs.FS `yaml:"-" json:"-"`
	// dir is the target file's directory.
	dir string
}

// HybridAXL is the AXL service on the IM&P publisher.
type HybridAXL struct {
	// Host is the publisher's FQDN. Default: the first imp.nodes entry.
	Host string `yaml:"host,omitempty"`
	// Port is AXL's HTTPS port. Default 8443.
	Port int `yaml:"port,omitempty"`
	// Username is the AXL application user (read-only role).
	Username string `yaml:"username,omitempty"`
	// PasswordEnv names the environment variable holding its password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// Password is read from PasswordEnv (the fakes make one per run).
	Password string `yaml:"-"`
}

// DefaultAXLPort is where UCM and IM&P serve AXL (Tomcat).
const DefaultAXLPort = 8443

// DefaultWebexAPI is the Webex REST API's host.
const DefaultWebexAPI = "webexapis.com"

// HybridConnector is one Hybrid Message connector cluster.
type HybridConnector struct {
	Name string `yaml:"name"`
	// Nodes in the cluster (1 to 6).
	Nodes int `yaml:"nodes"`
	// MRA says the connector is co-resident on an MRA Expressway.
	MRA bool `yaml:"mra,omitempty"`
	// IMPClusters are the IM&P clusters it serves, by publisher FQDN.
	IMPClusters []string `yaml:"imp_clusters"`
	// Users it carries.
	Users int `yaml:"users"`
}

// HybridEmailChange is the Directory URI change HYB-05 makes.
type HybridEmailChange struct {
	// User is the test user (username) whose Directory URI changes.
	User string `yaml:"user"`
	// NewEmail is a second Webex identity the change routes to.
	NewEmail string `yaml:"new_email"`
	// WebexTokenEnv names the variable holding a token of NewEmail.
	WebexTokenEnv string `yaml:"webex_token_env,omitempty"`
	// WebexToken is read from WebexTokenEnv (the fakes make one).
	WebexToken string `yaml:"-"`
}

// HybridExports name the user exports of the bulk check.
type HybridExports struct {
	// UCM are the UCM end-user exports (CSV), one per cluster.
	UCM []HybridExport `yaml:"ucm,omitempty"`
	// ControlHub is the Control Hub users export (CSV).
	ControlHub string `yaml:"control_hub,omitempty"`
	// DefaultDomain is the IM&P default domain JIDs are formed with
	// (userid@domain). Default: domains.imp.
	DefaultDomain string `yaml:"default_domain,omitempty"`
}

// HybridExport is one UCM cluster's export.
type HybridExport struct {
	File string `yaml:"file"`
	// Cluster names the UCM cluster (ucm[].name) the export is from.
	Cluster string `yaml:"cluster"`
}

// HybridUser holds a test user's fields for Hybrid Messaging, inline in
// the user's entry: a user with a "hybrid" block migrates.
type HybridUser struct {
	Hybrid *HybridUserSpec `yaml:"hybrid,omitempty"`
}

// HybridUserSpec is one migrating user.
type HybridUserSpec struct {
	// JID is the user's IM&P address. Default: username@domains.imp.
	JID string `yaml:"jid,omitempty"`
	// WebexEmail is the user's Webex identity, which their Directory URI
	// must equal. Default: the user's email.
	WebexEmail string `yaml:"webex_email,omitempty"`
	// WebexTokenEnv names the environment variable holding a Webex access
	// token of the user (spark:messages_read, spark:people_read).
	WebexTokenEnv string `yaml:"webex_token_env,omitempty"`
	// WebexToken is read from WebexTokenEnv (the fakes make one per run).
	WebexToken string `yaml:"-"`
}

// HybridUsers are the test users that migrate.
func (s *Site) HybridUsers() []User {
	var out []User
	for _, u := range s.Users {
		if u.Hybrid != nil {
			out = append(out, u)
		}
	}
	return out
}

// AXLHost is the AXL host:port the checks and the connector read.
func (x *Hybrid) AXLHost() string {
	port := x.AXL.Port
	if port == 0 {
		port = DefaultAXLPort
	}
	return fmt.Sprintf("%s:%d", x.AXL.Host, port)
}

// OpenExport opens an export named in the section: from FS when set, else
// relative to the target file's directory.
func (x *Hybrid) OpenExport(name string) (io.ReadCloser, error) {
	if x.FS != nil {
		return x.FS.Open(filepath.ToSlash(name))
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(x.dir, p)
	}
	if _, err := regularFile(p); err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (x *Hybrid) hosts() []string {
	var out []string
	if x.WebexAPI != "" {
		out = append(out, x.WebexAPI)
	}
	if x.AXL.Host != "" {
		out = append(out, x.AXL.Host)
	}
	return out
}

func (x *Hybrid) domains() []string { return nil }

func (x *Hybrid) validate(v *validator) {
	s := v.site
	if x.WebexAPI == "" {
		x.WebexAPI = DefaultWebexAPI
	}
	v.domain("hybrid.webex_api", x.WebexAPI, true)
	x.dir = filepath.Dir(s.File)
	migrating := len(s.HybridUsers()) > 0
	if x.AXL.Host == "" && len(s.IMP.Nodes) > 0 {
		x.AXL.Host = s.IMP.Nodes[0]
	}
	if migrating || x.AXL.Username != "" {
		v.domain("hybrid.axl.host", x.AXL.Host, true)
		v.port("hybrid.axl.port", x.AXL.Port, false)
		if x.AXL.Username == "" {
			v.fail("hybrid.axl.username", "required when users migrate: the AXL user the checks read JIDs and Directory URIs as")
		}
		x.AXL.Password = v.secret("hybrid.axl.password_env", x.AXL.PasswordEnv, x.AXL.Password)
	}
	if x.OrgUsers < 0 {
		v.fail("hybrid.org_users", "must not be negative, got %d", x.OrgUsers)
	}
	for i, c := range x.Connectors {
		p := fmt.Sprintf("hybrid.connectors[%d]", i)
		if c.Name == "" {
			v.fail(p+".name", "required")
		}
		if c.Nodes < 1 {
			v.fail(p+".nodes", "at least 1, got %d", c.Nodes)
		}
		if c.Users < 0 {
			v.fail(p+".users", "must not be negative, got %d", c.Users)
		}
		for j, n := range c.IMPClusters {
			v.domain(fmt.Sprintf("%s.imp_clusters[%d]", p, j), n, true)
		}
	}
	if c := x.EmailChange; c != nil {
		found := false
		for _, u := range s.HybridUsers() {
			found = found || u.Username == c.User
		}
		if !found {
			v.fail("hybrid.email_change.user", "no migrating test user %q (a user with a hybrid block)", c.User)
		}
		if _, d, ok := strings.Cut(c.NewEmail, "@"); !ok || d == "" {
			v.fail("hybrid.email_change.new_email", "want an address like alice.new@example.com, got %q", c.NewEmail)
		}
		c.WebexToken = v.secret("hybrid.email_change.webex_token_env", c.WebexTokenEnv, c.WebexToken)
	}
	e := &x.Exports
	if e.DefaultDomain == "" {
		e.DefaultDomain = s.Domains.IMP
	}
	if (len(e.UCM) > 0) != (e.ControlHub != "") {
		v.fail("hybrid.exports", "name both the UCM exports (ucm) and the Control Hub export (control_hub), or neither")
	}
	for i, u := range e.UCM {
		p := fmt.Sprintf("hybrid.exports.ucm[%d]", i)
		if u.File == "" {
			v.fail(p+".file", "required")
		} else {
			v.exportFile(p+".file", u.File)
		}
		if _, ok := s.Cluster(u.Cluster); !ok {
			v.fail(p+".cluster", "no UCM cluster named %q", u.Cluster)
		}
	}
	if e.ControlHub != "" {
		v.exportFile("hybrid.exports.control_hub", e.ControlHub)
	}
	for i, u := range s.Users {
		h := u.Hybrid
		if h == nil {
			continue
		}
		p := fmt.Sprintf("users[%d].hybrid", i)
		if h.JID == "" && u.Username != "" {
			h.JID = strings.ToLower(u.Username) + "@" + s.Domains.IMP
		}
		if l, d, ok := strings.Cut(h.JID, "@"); !ok || l == "" || d == "" || strings.ContainsAny(h.JID, " /") {
			v.fail(p+".jid", "want a bare JID like alice@example.com, got %q", h.JID)
		}
		if h.WebexEmail == "" {
			h.WebexEmail = u.Email
		}
		if _, d, ok := strings.Cut(h.WebexEmail, "@"); !ok || d == "" {
			v.fail(p+".webex_email", "want an address like alice@example.com, got %q", h.WebexEmail)
		}
		h.WebexToken = v.secret(p+".webex_token_env", h.WebexTokenEnv, h.WebexToken)
	}
}

// exportFile checks that an export exists (served sites read the fixtures).
func (v *validator) exportFile(path, name string) {
	if v.served {
		return
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(v.site.File), p)
	}
	if _, err := regularFile(p); err != nil {
		v.fail(path, "%v", err)
	}
}

// secret reads a secret named by an environment variable; a served site's
// fakes make their own (kept is returned unchanged).
func (v *validator) secret(path, env, kept string) string {
	switch {
	case v.served:
		return kept
	case env == "":
		v.fail(path, "required: the name of the environment variable holding the secret (never the secret itself)")
	default:
		s, ok := v.env(env)
		switch {
		case !ok:
			v.fail(path, "environment variable %s is not set", env)
		case s == "":
			v.fail(path, "environment variable %s is empty", env)
		}
		return s
	}
	return kept
}

// regularFile refuses what is not a regular file (a FIFO would block the
// open), like ReadFile, without a size limit: exports are streamed.
func regularFile(path string) (os.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("target: %w", errors.Unwrap(err))
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, st.Mode().Type())
	}
	return st, nil
}
