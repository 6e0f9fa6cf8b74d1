// Package gen writes realistic UCM end-user and Control Hub users exports
// with seeded defects, deterministically from a seed, and returns the
// truth: exactly which users it broke and how, and which lines it mangled.
// Tests hold certify to that truth; the benchmark and
// scripts/bench-certify.sh use it for scale. See README.md.
package gen

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"example.com/cutover/harness/hybrid/export"
	"example.com/cutover/harness/hybrid/ident"
)

// Defect kinds the generator seeds; each names the reason codes certify
// must give (see Truth).
const (
	NoEmail              = "no_email"
	NoDirectoryURI       = "no_directory_uri"
	BadDirectoryURI      = "bad_directory_uri"
	DirectoryURIMismatch = "directory_uri_mismatch"
	DuplicateEmail       = "duplicate_email"
	DuplicateWebexRow    = "duplicate_webex_row"
	IMPDisabled          = "imp_disabled"
	HybridDisabled       = "hybrid_disabled"
	NotInWebex           = "not_in_webex"
	NotInUCM             = "not_in_ucm"
	NotHomed             = "not_homed"
)

// Kinds lists every defect kind, in a fixed order.
func Kinds() []string {
	return []string{NoEmail, NoDirectoryURI, BadDirectoryURI, DirectoryURIMismatch, DuplicateEmail, DuplicateWebexRow,
		IMPDisabled, HybridDisabled, NotInWebex, NotInUCM, NotHomed}
}

// Config says what to generate. The zero value of a field takes the
// default in its comment.
type Config struct {
	// Users is the number of UCM users before defects add twins; default 1000.
	Users int
	// Seed makes the output; the same Config gives the same bytes.
	Seed uint64
	// DefectRate is the share of users given one defect; default 0.05.
	// Negative means none.
	DefectRate float64
	// Kinds restricts the defects to these kinds; default Kinds().
	Kinds []string
	// BadRows is the number of malformed lines put into each file (wrong
	// field count, invalid UTF-8, a NUL, a field over the limit, and an
	// unterminated quote as the last line).
	BadRows int
	// HugeRows adds one row with a 1 MiB field to each file.
	HugeRows bool
	// Clusters names the UCM clusters; one export each; default one,
	// "cucm-a". Users are homed on one; some also appear, not homed, in
	// another cluster's export.
	Clusters []string
	// Domains are the email domains; default example.com, example.org.
	Domains []string
	// IMPDomain is the IM&P default domain (JIDs are userid@IMPDomain, so
	// they differ from the emails); default imp.example.com.
	IMPDomain string
	// CloudOnly is the number of Control Hub users that are not in UCM
	// and not enabled for Hybrid Message (not migrating); default Users/10.
	CloudOnly int
	// CRLF and BOM shape the files as Windows tools write them.
	CRLF, BOM bool
}

// Loc is one line of one file.
type Loc struct {
	File string
	Line int
}

// Truth is what the generator did.
type Truth struct {
	// Defects maps a user key (certify's Verdict.Key: "ucm:<user id>" or
	// "webex:<email>", lower case) to the sorted reason codes it must get.
	Defects map[string][]string
	// Kinds counts the seeded defects by kind.
	Kinds map[string]int
	// RowErrors are the mangled lines, per file in order.
	RowErrors []Loc
	// Users is the number of verdicts certify must give; Routable how
	// many of them route.
	Users, Routable int
	// CaseOnly counts healthy users whose Webex email differs from their
	// Directory URI in case only (warning case_differs, still routable).
	CaseOnly int
	// Addressing is how the generated clusters form JIDs.
	Addressing ident.Addressing
}

// Files are the paths WriteFiles wrote.
type Files struct {
	UCM      []string // one per cluster, in Config.Clusters order
	Clusters []string
	Webex    string
}

func (c *Config) defaults() error {
	if c.Users == 0 {
		c.Users = 1000
	}
	if c.Users < 0 || c.Users > 10_000_000 {
		return fmt.Errorf("gen: %d users", c.Users)
	}
	if c.DefectRate == 0 {
		c.DefectRate = 0.05
	}
	if c.DefectRate > 1 {
		return fmt.Errorf("gen: defect rate %v above 1", c.DefectRate)
	}
	if len(c.Kinds) == 0 {
		c.Kinds = Kinds()
	}
	known := map[string]bool{}
	for _, k := range Kinds() {
		known[k] = true
	}
	for _, k := range c.Kinds {
		if !known[k] {
			return fmt.Errorf("gen: unknown defect kind %q", k)
		}
	}
	if len(c.Clusters) == 0 {
		c.Clusters = []string{"cucm-a"}
	}
	if len(c.Domains) == 0 {
		c.Domains = []string{"example.com", "example.org"}
	}
	if c.IMPDomain == "" {
		c.IMPDomain = "imp.example.com"
	}
	if c.CloudOnly == 0 {
		c.CloudOnly = c.Users / 10
	}
	return nil
}

// WriteFiles generates into dir: ucm-<cluster>.csv per cluster and
// controlhub-users.csv.
func WriteFiles(dir string, cfg Config) (Files, Truth, error) {
	if err := cfg.defaults(); err != nil {
		return Files{}, Truth{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, Truth{}, fmt.Errorf("gen: %w", err)
	}
	var fs Files
	var ws []io.Writer
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	for _, c := range cfg.Clusters {
		p := filepath.Join(dir, "ucm-"+c+".csv")
		f, err := os.Create(p)
		if err != nil {
			return Files{}, Truth{}, fmt.Errorf("gen: %w", err)
		}
		closers = append(closers, f)
		fs.UCM = append(fs.UCM, p)
		ws = append(ws, f)
	}
	fs.Clusters = cfg.Clusters
	fs.Webex = filepath.Join(dir, "controlhub-users.csv")
	f, err := os.Create(fs.Webex)
	if err != nil {
		return Files{}, Truth{}, fmt.Errorf("gen: %w", err)
	}
	closers = append(closers, f)
	names := append(append([]string(nil), fs.UCM...), fs.Webex)
	t, err := Generate(cfg, ws, f, names)
	if err != nil {
		return Files{}, Truth{}, err
	}
	for _, f := range closers {
		if err := f.Close(); err != nil {
			return Files{}, Truth{}, fmt.Errorf("gen: %w", err)
		}
	}
	closers = nil
	return fs, t, nil
}

// ucmHeaderCols is a representative subset of Bulk Administration's
// "All User Details" export columns, in its order.
func ucmHeaderCols() []string {
	return []string{"FIRST NAME", "MIDDLE NAME", "LAST NAME", export.HeaderUserID, "PASSWORD", "MANAGER USER ID", "DEPARTMENT", "PIN",
		"DEFAULT PROFILE", "USER LOCALE", "TELEPHONE NUMBER", "PRIMARY EXTENSION", "ASSOCIATED PC", "IPCC EXTENSION",
		export.HeaderMail, "PRESENCE GROUP", "SUBSCRIBE CALLING SEARCH SPACE", "DIGEST CREDENTIALS", "REMOTE DESTINATION LIMIT",
		"MAXIMUM WAIT TIME FOR DESK PICKUP", "ALLOW CONTROL OF DEVICE FROM CTI", "ENABLE MOBILITY", "ENABLE MOBILE VOICE ACCESS",
		"ENABLE EMCC", export.HeaderDirectoryURI, "NAME DIALING", "MLPP USER IDENTIFICATION NUMBER", "MLPP PASSWORD",
		"MLPP PRECEDENCE AUTHORIZATION LEVEL", "CONTROLLED DEVICE 1", "CONTROLLED DEVICE 2", "CONTROLLED DEVICE 3",
		"CONTROLLED DEVICE 4", export.HeaderHomeCluster, export.HeaderIMPEnabled, "UC SERVICE PROFILE",
		"INCLUDE MEETING INFORMATION IN PRESENCE", "SELF-SERVICE USER ID", "USER PROFILE", export.HeaderPresenceServer}
}

// webexHeaderCols is a representative Control Hub export with user
// attributes and licenses.
func webexHeaderCols() []string {
	return []string{"First Name", "Last Name", "Display Name", export.HeaderWebexEmail, export.HeaderWebexStatus,
		"Last Service Accessed Time", "Days since Last Service Accessed", "Extension", "Title", "Department", "Manager",
		"Phone Number", "Caller ID Number", "Location", "Preferred Language", "Time zone",
		"Hybrid Calendar Service (Exchange)", "Hybrid Call Service Aware", "Hybrid Call Service Connect",
		export.HeaderHybridMessage, "Webex Calling Professional", "Webex Meetings"}
}

func firstNames() []string {
	return []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
		"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Aiko", "Mateo",
		"Zoë", "Sören", "Amélie", "Nuno", "Priya", "Wei", "Fatima", "Olga", "Seán", "D'Arcy"}
}

func lastNames() []string {
	return []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Müller",
		"O'Neil", "Nakamura", "Silva", "Kowalski", "Dubois", "Rossi", "Nguyen", "Van der Berg", "Ñúñez"}
}

func departments() []string {
	return []string{"Finance", "Sales", "Engineering", "\"R&D, Lab\"", "Support", "Legal", "HR", "Marketing, EMEA", "Operations"}
}

type person struct {
	i                  int
	first, last        string
	uid, email, domain string
	defect             string
	home               int // cluster index
	alsoIn             int // another cluster's export, or -1
	devices            []string
	dept               string
	caseOnly           bool
	status             string
	presence           string
}

// asciiFold keeps ASCII letters and maps a few accented ones, so user IDs
// and email local parts stay plain.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case strings.ContainsRune("àáâäå", r):
			b.WriteByte('a')
		case strings.ContainsRune("èéêë", r):
			b.WriteByte('e')
		case strings.ContainsRune("ìíîï", r):
			b.WriteByte('i')
		case strings.ContainsRune("òóôöø", r):
			b.WriteByte('o')
		case strings.ContainsRune("ùúûü", r):
			b.WriteByte('u')
		case r == 'ñ':
			b.WriteByte('n')
		}
	}
	return b.String()
}

func (g *generator) person(i int) person {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)*0x9E3779B97F4A7C15+1))
	fn, ln := firstNames(), lastNames()
	p := person{i: i, first: fn[rng.IntN(len(fn))], last: ln[rng.IntN(len(ln))], alsoIn: -1}
	p.domain = g.cfg.Domains[rng.IntN(len(g.cfg.Domains))]
	f, l := asciiFold(p.first), asciiFold(p.last)
	p.uid = fmt.Sprintf("%c%s%d", f[0], l, i)
	p.email = fmt.Sprintf("%s.%s%d@%s", f, l, i, p.domain)
	p.home = rng.IntN(len(g.cfg.Clusters))
	if len(g.cfg.Clusters) > 1 && rng.IntN(5) == 0 {
		p.alsoIn = (p.home + 1 + rng.IntN(len(g.cfg.Clusters)-1)) % len(g.cfg.Clusters)
	}
	up := strings.ToUpper(p.uid)
	p.devices = []string{"CSF" + up}
	if rng.IntN(2) == 0 {
		p.devices = append(p.devices, "TCT"+up)
	}
	if rng.IntN(4) == 0 {
		p.devices = append(p.devices, "BOT"+up)
	}
	if rng.IntN(3) == 0 {
		p.devices = append(p.devices, fmt.Sprintf("SEP%012X", rng.Uint64()&0xFFFFFFFFFFFF))
	}
	d := departments()
	p.dept = d[rng.IntN(len(d))]
	if rng.IntN(500) == 0 {
		p.dept = "Research\nand Development"
	}
	p.status = "Active"
	if rng.IntN(20) == 0 {
		p.status = "Not Verified"
	}
	p.presence = fmt.Sprintf("imp%d.%s", 1+rng.IntN(3), g.cfg.Domains[0])
	if rng.Float64() < g.cfg.DefectRate { // never when negative
		p.defect = g.cfg.Kinds[rng.IntN(len(g.cfg.Kinds))]
	} else if rng.IntN(50) == 0 {
		p.caseOnly = true
	}
	return p
}

type generator struct {
	cfg   Config
	ucm   []*export.Writer
	wx    *export.Writer
	names []string
	t     Truth
	// bad rows are spread over the files: the row indexes after which one
	// is written
	badAt [][]int
}

// Generate writes one UCM export per cluster to ucm (in cfg.Clusters
// order) and the Control Hub export to webex; names label them in the
// Truth's RowErrors (len(ucm)+1 names, Control Hub last).
func Generate(cfg Config, ucm []io.Writer, webex io.Writer, names []string) (Truth, error) {
	if err := cfg.defaults(); err != nil {
		return Truth{}, err
	}
	if len(ucm) != len(cfg.Clusters) || len(names) != len(ucm)+1 {
		return Truth{}, fmt.Errorf("gen: %d UCM writers and %d names for %d clusters", len(ucm), len(names), len(cfg.Clusters))
	}
	g := &generator{cfg: cfg, names: names, t: Truth{Defects: map[string][]string{}, Kinds: map[string]int{},
		Addressing: ident.Addressing{Scheme: ident.SchemeUserID, DefaultDomain: cfg.IMPDomain}}}
	for _, w := range ucm {
		cw, err := export.NewWriter(w, ucmHeaderCols(), cfg.CRLF, cfg.BOM)
		if err != nil {
			return Truth{}, fmt.Errorf("gen: %w", err)
		}
		g.ucm = append(g.ucm, cw)
	}
	cw, err := export.NewWriter(webex, webexHeaderCols(), cfg.CRLF, cfg.BOM)
	if err != nil {
		return Truth{}, fmt.Errorf("gen: %w", err)
	}
	g.wx = cw
	// Where the bad rows go: evenly spaced, per file.
	g.badAt = make([][]int, len(ucm)+1)
	for f := range g.badAt {
		for k := 1; k <= cfg.BadRows; k++ {
			g.badAt[f] = append(g.badAt[f], k*cfg.Users/(cfg.BadRows+1))
		}
	}
	if err := g.writeUCM(); err != nil {
		return Truth{}, err
	}
	if err := g.writeWebex(); err != nil {
		return Truth{}, err
	}
	for _, w := range append(append([]*export.Writer(nil), g.ucm...), g.wx) {
		if err := w.Flush(); err != nil {
			return Truth{}, fmt.Errorf("gen: %w", err)
		}
	}
	for k, v := range g.t.Defects {
		sort.Strings(v)
		g.t.Defects[k] = v
	}
	g.t.Routable = g.t.Users - len(g.t.Defects)
	return g.t, nil
}

func (g *generator) defect(key string, codes ...string) {
	g.t.Defects[key] = append(g.t.Defects[key], codes...)
}

func tf(b bool) string {
	if b {
		return "t"
	}
	return "f"
}

func (g *generator) ucmRow(w *export.Writer, p person, uid, mail, dir string, home, imp bool) error {
	rec := make([]string, w.Width())
	set := func(col, v string) {
		if i := w.Index(col); i >= 0 {
			rec[i] = v
		}
	}
	set("FIRST NAME", p.first)
	set("LAST NAME", p.last)
	set(export.HeaderUserID, uid)
	set("DEPARTMENT", strings.Trim(p.dept, `"`))
	set("USER LOCALE", "English United States")
	set("TELEPHONE NUMBER", fmt.Sprintf("+1408555%04d", p.i%10000))
	set("PRIMARY EXTENSION", fmt.Sprintf("%d", 10000+p.i%90000))
	set(export.HeaderMail, mail)
	set("PRESENCE GROUP", "Standard Presence group")
	set("REMOTE DESTINATION LIMIT", "4")
	set("MAXIMUM WAIT TIME FOR DESK PICKUP", "10000")
	set("ALLOW CONTROL OF DEVICE FROM CTI", "t")
	set("ENABLE MOBILITY", "f")
	set("ENABLE MOBILE VOICE ACCESS", "f")
	set("ENABLE EMCC", "f")
	set(export.HeaderDirectoryURI, dir)
	set("NAME DIALING", asciiFold(p.last)+asciiFold(p.first))
	for k, d := range p.devices {
		set(fmt.Sprintf("CONTROLLED DEVICE %d", k+1), d)
	}
	set(export.HeaderHomeCluster, tf(home))
	set(export.HeaderIMPEnabled, tf(imp))
	set("UC SERVICE PROFILE", "UCSP-Jabber")
	set("INCLUDE MEETING INFORMATION IN PRESENCE", "f")
	set("USER PROFILE", "Standard (Factory Default) User Profile")
	set(export.HeaderPresenceServer, p.presence)
	_, err := w.Write(rec)
	return err
}

func (g *generator) badRow(file int, w *export.Writer, k int) error {
	width := w.Width()
	blank := strings.Repeat(",", width-1)
	var raw string
	switch k % 4 {
	case 0:
		raw = "only,three,fields"
	case 1:
		raw = "Bad\xffUTF8" + blank
	case 2:
		raw = "NUL\x00here" + blank
	case 3:
		raw = strings.Repeat("x", export.DefaultMaxField+1) + blank
	}
	eol := "\n"
	if g.cfg.CRLF {
		eol = "\r\n"
	}
	line, err := w.WriteRaw(raw + eol)
	g.t.RowErrors = append(g.t.RowErrors, Loc{File: g.names[file], Line: line})
	return err
}

// tail writes the lines that must come last in a file: a 1 MiB field and
// a quote that never closes (it swallows to the end of the file, so
// nothing after it would be read).
func (g *generator) tail(file int, w *export.Writer) error {
	eol := "\n"
	if g.cfg.CRLF {
		eol = "\r\n"
	}
	blank := strings.Repeat(",", w.Width()-1)
	if g.cfg.HugeRows {
		line, err := w.WriteRaw(strings.Repeat("h", 1<<20) + blank + eol)
		if err != nil {
			return err
		}
		g.t.RowErrors = append(g.t.RowErrors, Loc{File: g.names[file], Line: line})
	}
	if g.cfg.BadRows > 0 {
		line, err := w.WriteRaw("\"never closed" + blank + eol)
		if err != nil {
			return err
		}
		g.t.RowErrors = append(g.t.RowErrors, Loc{File: g.names[file], Line: line})
	}
	return nil
}

func (g *generator) writeUCM() error {
	next := make([]int, len(g.ucm))
	for i := 0; i < g.cfg.Users; i++ {
		for f, w := range g.ucm {
			for next[f] < len(g.badAt[f]) && g.badAt[f][next[f]] == i {
				if err := g.badRow(f, w, next[f]); err != nil {
					return err
				}
				next[f]++
			}
		}
		p := g.person(i)
		key := "ucm:" + strings.ToLower(p.uid)
		mail, dir, home, imp := p.email, p.email, true, true
		switch p.defect {
		case NoEmail:
			mail, dir = "", ""
			g.defect(key, "no_email")
			g.defect("webex:"+p.email, "not_in_ucm") // the Webex identity stays
		case NoDirectoryURI:
			dir = ""
			g.defect(key, "no_directory_uri")
		case BadDirectoryURI:
			dir = fmt.Sprintf("%s, %s@%s", p.last, p.first, p.domain)
			g.defect(key, "bad_directory_uri")
		case DirectoryURIMismatch:
			dir = p.uid + "@" + p.domain
			g.defect(key, "directory_uri_mismatch")
		case DuplicateEmail:
			g.defect(key, "duplicate_email")
			g.defect("ucm:"+strings.ToLower(p.uid)+"x", "duplicate_email")
		case DuplicateWebexRow:
			g.defect(key, "duplicate_email")
		case IMPDisabled:
			imp = false
			g.defect(key, "imp_disabled")
		case HybridDisabled:
			g.defect(key, "hybrid_disabled")
		case NotInWebex:
			g.defect(key, "not_in_webex")
		case NotInUCM:
			g.defect("webex:orphan."+strings.ToLower(p.uid)+"@"+p.domain, "not_in_ucm")
		case NotHomed:
			home = false
			g.defect(key, "not_homed")
		}
		if p.defect != "" {
			g.t.Kinds[p.defect]++
		}
		if p.caseOnly {
			g.t.CaseOnly++
		}
		g.t.Users++
		if err := g.ucmRow(g.ucm[p.home], p, p.uid, mail, dir, home, imp); err != nil {
			return err
		}
		if p.alsoIn >= 0 {
			if err := g.ucmRow(g.ucm[p.alsoIn], p, p.uid, mail, dir, false, imp); err != nil {
				return err
			}
		}
		if p.defect == DuplicateEmail {
			// A twin that claims the same address.
			g.t.Users++
			twin := p
			twin.devices = nil
			if err := g.ucmRow(g.ucm[p.home], twin, p.uid+"x", p.email, p.email, true, true); err != nil {
				return err
			}
		}
		if p.defect == NoEmail || p.defect == NotInUCM {
			g.t.Users++ // the Webex-only verdict
		}
	}
	for f, w := range g.ucm {
		for ; next[f] < len(g.badAt[f]); next[f]++ {
			if err := g.badRow(f, w, next[f]); err != nil {
				return err
			}
		}
		if err := g.tail(f, w); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) webexRow(p person, email string, hybrid bool) error {
	rec := make([]string, g.wx.Width())
	set := func(col, v string) {
		if i := g.wx.Index(col); i >= 0 {
			rec[i] = v
		}
	}
	up := func(b bool) string {
		if b {
			return "TRUE"
		}
		return "FALSE"
	}
	set("First Name", p.first)
	set("Last Name", p.last)
	set("Display Name", p.first+" "+p.last)
	set(export.HeaderWebexEmail, email)
	set(export.HeaderWebexStatus, p.status)
	set("Department", strings.Trim(p.dept, `"`))
	set("Location", "HQ")
	set("Preferred Language", "English")
	set("Time zone", "GMT")
	set("Hybrid Calendar Service (Exchange)", up(p.i%3 == 0))
	set("Hybrid Call Service Aware", "FALSE")
	set("Hybrid Call Service Connect", "FALSE")
	set(export.HeaderHybridMessage, up(hybrid))
	set("Webex Calling Professional", "FALSE")
	set("Webex Meetings", "TRUE")
	_, err := g.wx.Write(rec)
	return err
}

// writeWebex writes the Control Hub rows in a shuffled order (a seeded
// permutation), since the two exports are never sorted alike.
func (g *generator) writeWebex() error {
	n := g.cfg.Users + g.cfg.CloudOnly
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	rng := rand.New(rand.NewPCG(g.cfg.Seed, 0xC0FFEE))
	rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	file := len(g.ucm)
	next := 0
	for k, idx := range perm {
		for next < len(g.badAt[file]) && g.badAt[file][next]*n/max(g.cfg.Users, 1) == k {
			if err := g.badRow(file, g.wx, next); err != nil {
				return err
			}
			next++
		}
		i := int(idx)
		if i >= g.cfg.Users {
			p := g.person(i)
			p.email = fmt.Sprintf("cloud.%s%d@%s", asciiFold(p.last), i, p.domain)
			if err := g.webexRow(p, p.email, false); err != nil {
				return err
			}
			continue
		}
		p := g.person(i)
		email, hybrid := p.email, true
		if p.caseOnly {
			email = capitalise(p.email)
		}
		switch p.defect {
		case NotInWebex:
			continue
		case HybridDisabled:
			hybrid = false
		case NotInUCM:
			if err := g.webexRow(p, "orphan."+p.uid+"@"+p.domain, true); err != nil {
				return err
			}
		}
		if err := g.webexRow(p, email, hybrid); err != nil {
			return err
		}
		if p.defect == DuplicateWebexRow {
			if err := g.webexRow(p, capitalise(p.email), true); err != nil {
				return err
			}
		}
	}
	for ; next < len(g.badAt[file]); next++ {
		if err := g.badRow(file, g.wx, next); err != nil {
			return err
		}
	}
	return g.tail(file, g.wx)
}

// capitalise upper-cases the first letter of the local part and the
// domain: the same identity to the service.
func capitalise(email string) string {
	at := strings.LastIndexByte(email, '@')
	return strings.ToUpper(email[:1]) + email[1:at+1] + strings.ToUpper(email[at+1:at+2]) + email[at+2:]
}
