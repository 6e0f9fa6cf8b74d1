package target

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrConfig marks every target-file problem: the CLI maps it to exit 2.
var ErrConfig = errors.New("target: configuration error")

// FieldError is one problem in a target file, positioned for an editor.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: field %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// LoadError collects every FieldError of one file.
type LoadError struct{ Errs []*FieldError }

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, fe := range e.Errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *LoadError) Is(target error) bool { return target == ErrConfig }

// Env looks up environment variables; os.LookupEnv in production, a map in
// tests.
type Env func(string) (string, bool)

// LoadFile reads and validates a target file. A file that cannot be read
// (missing, a directory, a FIFO or device, over 1 MiB) is a LoadError that
// names it, like every other problem.
func LoadFile(path string, env Env) (*Site, error) {
	b, err := ReadFile(path, maxFileSize)
	if err != nil {
		return nil, &LoadError{[]*FieldError{{File: path, Msg: strings.TrimPrefix(err.Error(), "target: ")}}}
	}
	return Load(path, b, env)
}

// maxFileSize bounds what we parse: a target file is a few KiB.
const maxFileSize = 1 << 20

// Load parses and validates a target file's content. name is used in
// messages. Every problem found is reported, not only the first.
func Load(name string, data []byte, env Env) (*Site, error) {
	if env == nil {
		env = os.LookupEnv
	}
	site := &Site{File: name}
	doc, errs := DecodeStrict(name, data, site)
	if doc == nil || isDuplicate(errs) {
		// Not YAML, or a key given twice: what decoded is unreliable and
		// validating it would add false errors.
		return nil, &LoadError{errs}
	}
	site.lines = doc.Lines()
	// Unknown keys and wrong types leave the rest decoded: validate that
	// too, so every problem is reported at once.
	v := &validator{site: site, env: env, doc: doc}
	v.validate()
	errs = append(errs, v.errs...)
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, &LoadError{errs}
	}
	return site, nil
}

type validator struct {
	site *Site
	env  Env
	doc  *Document
	errs []*FieldError
	// served: the site is the one the fakes serve (the example site):
	// resolvers come from the launcher and passwords from the fakes.
	served bool
	// prefix is the site's field path in its file ("site." in a fake
	// site file, "" in a target file).
	prefix string
}

// ValidateServed checks the site a fake site file describes (its section
// at field path prefix, e.g. "site") as strictly as a lab target file,
// except what the fakes supply at start: the resolvers and the passwords.
// doc positions the messages.
func ValidateServed(doc *Document, prefix string, site *Site) []*FieldError {
	v := &validator{site: site, doc: doc, served: true, prefix: prefix + ".", env: func(string) (string, bool) { return "", false }}
	site.Kind = KindLab
	site.File = doc.Name
	v.validate()
	site.lines = map[string]int{}
	for p, l := range doc.Lines() {
		if rest, ok := strings.CutPrefix(p, v.prefix); ok {
			site.lines[rest] = l
		}
	}
	return v.errs
}

// fail records a problem at path; a missing field has no line, so the
// message points at its nearest present parent.
func (v *validator) fail(path, format string, args ...any) {
	path = v.prefix + path
	v.errs = append(v.errs, &FieldError{File: v.site.File, Line: v.doc.At(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	s := v.site
	switch s.Kind {
	case "":
		s.Kind = KindLab
	case KindLab, KindEmbedded, KindContainers:
	default:
		v.fail("kind", "want %q, %q or %q, got %q", KindLab, KindEmbedded, KindContainers, s.Kind)
	}
	if s.Name == "" {
		s.Name = s.File
	}
	if s.Fake() {
		v.fakeKeys()
		v.limits(false)
		return
	}
	if len(s.Fakes.Faults) > 0 {
		v.fail("fakes.faults", "faults apply only to kind: embedded or kind: containers")
	}
	v.domain("domains.services", s.Domains.Services, true)
	if len(s.Domains.VoiceServices) == 0 && s.Domains.Services != "" {
		s.Domains.VoiceServices = []string{s.Domains.Services}
	}
	for i, d := range s.Domains.VoiceServices {
		v.domain(fmt.Sprintf("domains.voice_services[%d]", i), d, true)
	}
	if s.Domains.IMP == "" {
		s.Domains.IMP = s.Domains.Services
	}
	v.domain("domains.imp", s.Domains.IMP, false)
	v.hostPort("vantage.inside.resolver", s.Vantage.Inside.Resolver, true, !v.served)
	v.hostPort("vantage.outside.resolver", s.Vantage.Outside.Resolver, true, !v.served)
	v.hostPort("vantage.inside.proxy", s.Vantage.Inside.Proxy, true, false)
	v.hostPort("vantage.outside.proxy", s.Vantage.Outside.Proxy, true, false)

	if len(s.UCM) == 0 {
		v.fail("ucm", "at least one UCM cluster is required")
	}
	seen := map[string]bool{}
	for i, c := range s.UCM {
		p := fmt.Sprintf("ucm[%d]", i)
		if c.Name == "" {
			v.fail(p+".name", "required")
		} else if seen[c.Name] {
			v.fail(p+".name", "duplicate cluster name %q", c.Name)
		}
		seen[c.Name] = true
		if len(c.Nodes) == 0 {
			v.fail(p+".nodes", "at least one node is required")
		}
		for j, n := range c.Nodes {
			v.domain(fmt.Sprintf("%s.nodes[%d]", p, j), n, true)
		}
		v.port(p+".uds_port", c.UDSPort, false)
	}
	for i, n := range s.IMP.Nodes {
		v.domain(fmt.Sprintf("imp.nodes[%d]", i), n, true)
	}
	for i, n := range s.Expressway.Edge {
		v.domain(fmt.Sprintf("expressway.edge[%d]", i), n, true)
	}
	for i, n := range s.Expressway.Core {
		v.domain(fmt.Sprintf("expressway.core[%d]", i), n, true)
	}

	if len(s.Users) == 0 {
		v.fail("users", "at least one test user is required")
	}
	for i, u := range s.Users {
		p := fmt.Sprintf("users[%d]", i)
		if u.Username == "" {
			v.fail(p+".username", "required")
		}
		if _, d, ok := strings.Cut(u.Email, "@"); !ok || d == "" {
			v.fail(p+".email", "want an address like alice@example.com, got %q", u.Email)
		}
		if _, ok := s.Cluster(u.HomeCluster); !ok {
			v.fail(p+".home_cluster", "no UCM cluster named %q", u.HomeCluster)
		}
		if u.VoiceServicesDomain != "" {
			v.domain(p+".voice_services_domain", u.VoiceServicesDomain, true)
		}
		switch {
		case v.served:
			// The fakes make a fresh password per run.
		case u.PasswordEnv == "":
			v.fail(p+".password_env", "required: the name of the environment variable holding the password (never the password itself)")
		default:
			pw, ok := v.env(u.PasswordEnv)
			switch {
			case !ok:
				v.fail(p+".password_env", "environment variable %s is not set", u.PasswordEnv)
			case pw == "":
				v.fail(p+".password_env", "environment variable %s is empty", u.PasswordEnv)
			}
			s.Users[i].Password = pw
		}
	}
	if s.Discovery.TopN == 0 {
		s.Discovery.TopN = 2
	} else if s.Discovery.TopN < 0 {
		v.fail("discovery.top_n", "must be positive, got %d", s.Discovery.TopN)
	}
	if s.Discovery.Budget == 0 {
		s.Discovery.Budget = Duration(20e9)
	}
	if s.Discovery.UnknownUser == "" {
		s.Discovery.UnknownUser = "cutover-no-such-user"
	}
	if s.TLS.CAFile != "" {
		v.caFile("tls.ca_file", s.TLS.CAFile)
	}
	for _, sec := range s.sections() {
		sec.validate(v)
	}
	v.limits(true)
	for i, c := range s.ConnectTo {
		p := fmt.Sprintf("connect_to[%d]", i)
		v.hostPort(p+".from", c.From, false, true)
		v.hostPort(p+".to", c.To, true, true)
	}
}

// fakeKeys refuses, for a target of fakes, every key the fakes would
// silently ignore: the fakes supply the site; only these keys apply.
func (v *validator) fakeKeys() {
	allowed := map[string]bool{"name": true, "kind": true, "fakes": true, "limits": true, "discovery": true}
	known := map[string]reflect.Type{}
	collectFields(reflect.TypeOf(Site{}), known)
	root := v.doc.Root
	for i := 0; root != nil && i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		switch {
		case known[k.Value] == nil:
			// An unknown key: the decoder reported it already.
		case !allowed[k.Value]:
			v.fail(k.Value, "not used with kind: %s (the fakes supply the site; only name, fakes, limits and discovery.budget apply)", v.site.Kind)
		case k.Value == "discovery":
			d := root.Content[i+1]
			for j := 0; j+1 < len(d.Content); j += 2 {
				if d.Content[j].Value != "budget" {
					v.fail("discovery."+d.Content[j].Value, "not used with kind: %s (only discovery.budget reaches the fakes)", v.site.Kind)
				}
			}
		}
	}
}

func (v *validator) limits(lab bool) {
	l := &v.site.Limits
	if l.RPS < 0 {
		v.fail("limits.rps", "must not be negative, got %v", l.RPS)
	}
	if lab && l.RPS == 0 && v.doc.Line(v.prefix+"limits.rps") == 0 {
		l.RPS = 5
	}
	if l.RPSPerHost < 0 {
		v.fail("limits.rps_per_host", "must not be negative, got %v", l.RPSPerHost)
	}
	if l.MaxRequestsPerHost < 0 {
		v.fail("limits.max_requests_per_host", "must not be negative, got %d", l.MaxRequestsPerHost)
	}
	if lab && l.MaxRequestsPerHost == 0 && v.doc.Line(v.prefix+"limits.max_requests_per_host") == 0 {
		l.MaxRequestsPerHost = DefaultMaxRequestsPerHost
	}
	if l.MaxAuthFailures < 0 {
		v.fail("limits.max_auth_failures", "must not be negative, got %d", l.MaxAuthFailures)
	}
	if l.MaxAuthFailures == 0 && v.doc.Line(v.prefix+"limits.max_auth_failures") == 0 {
		l.MaxAuthFailures = 2
	}
	if l.LockoutWindow == 0 {
		l.LockoutWindow = Duration(DefaultLockoutWindow)
	}
	if l.Timeout == 0 {
		l.Timeout = Duration(10e9)
	}
	if l.DNSTimeout < 0 {
		v.fail("limits.dns_timeout", "must not be negative, got %v", l.DNSTimeout.D())
	}
	if l.DeliveryTimeout < 0 {
		v.fail("limits.delivery_timeout", "must not be negative, got %v", l.DeliveryTimeout.D())
	}
	if l.DeliveryTimeout > l.Timeout {
		v.fail("limits.delivery_timeout", "must not exceed limits.timeout (%v), got %v", l.Timeout.D(), l.DeliveryTimeout.D())
	}
	if l.RunTimeout == 0 {
		l.RunTimeout = Duration(30 * time.Minute)
		if !lab {
			l.RunTimeout = Duration(5 * time.Minute)
		}
	}
	if l.MaxTargets < 0 {
		v.fail("limits.max_targets", "must not be negative, got %d", l.MaxTargets)
	}
	if l.MaxTargets == 0 {
		l.MaxTargets = 20
	}
}

var labelRe = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$`)

// domain checks a DNS name; fqdn also demands at least two labels.
func (v *validator) domain(path, name string, required bool) {
	if name == "" {
		if required {
			v.fail(path, "required")
		}
		return
	}
	n := strings.TrimSuffix(name, ".")
	if _, err := netip.ParseAddr(n); err == nil {
		v.fail(path, "want a host name, got the address %q", name)
		return
	}
	labels := strings.Split(n, ".")
	if len(labels) < 2 || len(n) > 253 {
		v.fail(path, "want a fully qualified name like host.example.com, got %q", name)
		return
	}
	for _, l := range labels {
		if !labelRe.MatchString(l) {
			v.fail(path, "invalid DNS name %q", name)
			return
		}
	}
}

func (v *validator) port(path string, p int, required bool) {
	if p == 0 && !required && v.doc.Line(v.prefix+path) == 0 {
		return
	}
	if p < 1 || p > 65535 {
		v.fail(path, "port %d out of range 1-65535", p)
	}
}

// hostPort checks "host:port"; ipOnly demands an IP address as host.
func (v *validator) hostPort(path, hp string, ipOnly, required bool) {
	if hp == "" {
		if required {
			v.fail(path, "required (host:port)")
		}
		return
	}
	host, ps, err := net.SplitHostPort(hp)
	if err != nil {
		v.fail(path, "want host:port, got %q", hp)
		return
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 1 || p > 65535 {
		v.fail(path, "port %q out of range 1-65535", ps)
		return
	}
	if _, err := netip.ParseAddr(host); err != nil && ipOnly {
		v.fail(path, "want an IP address, got %q", host)
	}
}

func (v *validator) caFile(path, file string) {
	if !filepath.IsAbs(file) && v.site.File != "" {
		file = filepath.Join(filepath.Dir(v.site.File), file)
	}
	b, err := ReadFile(file, maxFileSize)
	if err != nil {
		v.fail(path, "unreadable certificate file %s: %s", file, strings.TrimPrefix(err.Error(), "target: "))
		return
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		v.fail(path, "no PEM certificate in %s", file)
		return
	}
	v.site.Roots = pool
}

// Reasons ReadFile refuses a file.
var (
	ErrNotRegular = errors.New("target: not a regular file")
	ErrTooLarge   = errors.New("target: file too large")
)

// ReadFile reads a user-named file of at most max bytes. It looks before
// it opens: a FIFO, a device or a directory named by mistake would block
// the open or never end, so anything but a regular file is refused at once
// (ErrNotRegular). Errors do not repeat the file name: callers name it.
func ReadFile(path string, max int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("target: %w", errors.Unwrap(err)) // *PathError
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%s)", ErrNotRegular, st.Mode().Type())
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("target: %w", errors.Unwrap(err))
	}
	defer f.Close()
	if st2, err := f.Stat(); err != nil || !os.SameFile(st, st2) {
		return nil, fmt.Errorf("%w: changed while being opened", ErrNotRegular)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return b, nil
}
