package target

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
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

// LoadFile reads and validates a target file.
func LoadFile(path string, env Env) (*Site, error) {
	b, err := readRegular(path, maxFileSize+1)
	if err != nil {
		return nil, fmt.Errorf("target: %w: %w", ErrConfig, err)
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
	if len(data) > maxFileSize {
		return nil, &LoadError{[]*FieldError{{File: name, Line: 1, Field: "(file)", Msg: "larger than 1 MiB"}}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err, nil)
	}
	if len(root.Content) == 0 {
		return nil, &LoadError{[]*FieldError{{File: name, Line: 1, Field: "(file)", Msg: "empty target file"}}}
	}
	site := &Site{File: name, lines: map[string]int{}}
	indexLines(root.Content[0], "", site.lines)

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs []*FieldError
	if err := dec.Decode(site); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, yamlError(name, err, site.lines)
		}
		// Unknown keys and wrong types leave the rest decoded: check
		// that too, so every problem is reported at once.
		errs = yamlError(name, err, site.lines).(*LoadError).Errs
	}
	v := &validator{site: site, env: env}
	v.validate()
	errs = append(errs, v.errs...)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, &LoadError{errs}
	}
	return site, nil
}

// indexLines records the line of every mapping key and sequence item by
// its field path ("ucm[0].nodes[1]").
func indexLines(n *yaml.Node, path string, lines map[string]int) {
	if path != "" {
		if _, ok := lines[path]; !ok {
			lines[path] = n.Line
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			lines[p] = k.Line
			indexLines(val, p, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			indexLines(c, fmt.Sprintf("%s[%d]", path, i), lines)
		}
	}
}

var (
	yamlLineRe   = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRe = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// yamlError turns yaml.v3 errors ("line 4: field bogus not found in type
// target.Site") into FieldErrors.
func yamlError(name string, err error, lines map[string]int) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	le := &LoadError{}
	for _, m := range msgs {
		fe := &FieldError{File: name, Line: 1, Field: "(file)", Msg: m}
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			fe.Line, _ = strconv.Atoi(sm[1])
			fe.Msg = sm[2]
			if km := unknownKeyRe.FindStringSubmatch(sm[2]); km != nil {
				fe.Field = km[1]
				fe.Msg = "unknown key in " + strings.TrimPrefix(km[2], "target.")
			} else if lines == nil {
				fe.Field = "(syntax)"
			} else if p := fieldAt(lines, fe.Line); p != "" {
				fe.Field = p
			} else {
				fe.Field = "(value)"
			}
		}
		le.Errs = append(le.Errs, fe)
	}
	return le
}

// fieldAt finds the field a line belongs to: the deepest key on that line
// (a key, not a list item, so "top_n: [x]" names top_n).
func fieldAt(lines map[string]int, line int) string {
	best := ""
	for p, l := range lines {
		if l == line && !strings.HasSuffix(p, "]") && len(p) > len(best) {
			best = p
		}
	}
	return best
}

type validator struct {
	site *Site
	env  Env
	errs []*FieldError
}

func (v *validator) fail(path, format string, args ...any) {
	line := v.site.lines[path]
	// A missing field has no line: point at its nearest present parent.
	for p := path; line == 0 && p != ""; {
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
		line = v.site.lines[p]
	}
	if line == 0 {
		line = 1
	}
	v.errs = append(v.errs, &FieldError{File: v.site.File, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) validate() {
	s := v.site
	switch s.Kind {
	case "":
		s.Kind = KindLab
	case KindLab, KindEmbedded:
	default:
		v.fail("kind", "want %q or %q, got %q", KindLab, KindEmbedded, s.Kind)
	}
	if s.Name == "" {
		s.Name = s.File
	}
	if s.Kind == KindEmbedded {
		// The fakes supply everything else; only faults and limits apply.
		v.limits(false)
		return
	}
	if len(s.Embedded.Faults) > 0 {
		v.fail("embedded.faults", "faults apply only to kind: embedded")
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
	v.hostPort("vantage.inside.resolver", s.Vantage.Inside.Resolver, true, true)
	v.hostPort("vantage.outside.resolver", s.Vantage.Outside.Resolver, true, true)
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
	v.port("sip.oauth_port", s.SIP.OAuthPort, false)
	v.port("sip.mra_oauth_port", s.SIP.MRAOAuthPort, false)

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
		case u.PasswordEnv == "":
			v.fail(p+".password_env", "required: the name of the environment variable holding the password (never the password itself)")
		default:
			pw, ok := v.env(u.PasswordEnv)
			if !ok || pw == "" {
				v.fail(p+".password_env", "environment variable %s is not set", u.PasswordEnv)
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
	v.limits(true)
	for i, c := range s.ConnectTo {
		p := fmt.Sprintf("connect_to[%d]", i)
		v.hostPort(p+".from", c.From, false, true)
		v.hostPort(p+".to", c.To, true, true)
	}
}

func (v *validator) limits(lab bool) {
	l := &v.site.Limits
	if l.RPS < 0 {
		v.fail("limits.rps", "must not be negative, got %v", l.RPS)
	}
	if lab && l.RPS == 0 && v.site.lines["limits.rps"] == 0 {
		l.RPS = 5
	}
	if l.MaxAuthFailures < 0 {
		v.fail("limits.max_auth_failures", "must not be negative, got %d", l.MaxAuthFailures)
	}
	if l.MaxAuthFailures == 0 && v.site.lines["limits.max_auth_failures"] == 0 {
		l.MaxAuthFailures = 2
	}
	if l.Timeout == 0 {
		l.Timeout = Duration(10e9)
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
	if p == 0 && !required && v.site.lines[path] == 0 {
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
	b, err := readRegular(file, maxFileSize)
	if err != nil {
		v.fail(path, "unreadable certificate file: %v", err)
		return
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		v.fail(path, "no PEM certificate in %s", file)
		return
	}
	v.site.Roots = pool
}

// readRegular reads at most max bytes of a regular file: a device or a FIFO
// named by mistake would otherwise block or never end.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}
