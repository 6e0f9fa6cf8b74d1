package hybrid

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"example.com/cutover/harness/hybrid/ident"
	"example.com/cutover/harness/hybrid/webex"
)

// Directory reads IM&P's users (AXL) as of a time.
type Directory interface {
	Users(ctx context.Context, at time.Time) ([]User, error)
}

// Env is what the probes need from a site. Site.Env fills it for the
// embedded site; a lab binding fills it from the target (optional hooks
// left nil make the probes that need them skip with the reason).
type Env struct {
	Jabber    Jabber
	Directory Directory
	Webex     *webex.Client
	// Connector, when the site's connector is in-process, lets HYB-10
	// ask it how it maps each email.
	Connector *Connector
	// Hybrid reports a Webex identity's Hybrid Message entitlement.
	Hybrid func(ctx context.Context, email string) (exists, enabled bool, err error)
	// ChangeDirectoryURI changes a user's Directory URI (HYB-05).
	ChangeDirectoryURI func(ctx context.Context, jid, uri string) error
	// Touch makes a Webex user active; nil posts a message as them.
	Touch    func(ctx context.Context, email string) error
	Now      func() time.Time
	Advance  func(time.Duration)
	Users    []TestUser
	Roles    Roles
	Topology Topology
}

// Result is one probe's verdict.
type Result struct {
	ID      string
	Pass    bool
	Skipped bool
	// Want, Got and Where make the failure line: "ID: want, got from where".
	Want, Got, Where string
	// Evidence is what was sent and received (no tokens).
	Evidence []string
}

func (r Result) String() string {
	switch {
	case r.Skipped:
		return fmt.Sprintf("%s: skipped: %s", r.ID, r.Got)
	case r.Pass:
		return fmt.Sprintf("%s: pass: %s", r.ID, r.Got)
	}
	s := fmt.Sprintf("%s: want %s, got %s", r.ID, r.Want, r.Got)
	if r.Where != "" {
		s += " from " + r.Where
	}
	return s
}

type probe struct {
	ctx context.Context
	env Env
	r   Result
}

func (p *probe) fail(want, got string, args ...any) Result {
	p.r.Pass, p.r.Want, p.r.Got = false, want, fmt.Sprintf(got, args...)
	return p.r
}

func (p *probe) pass(got string, args ...any) Result {
	p.r.Pass, p.r.Got = true, fmt.Sprintf(got, args...)
	return p.r
}

func (p *probe) skip(why string) Result {
	p.r.Skipped, p.r.Got = true, why
	return p.r
}

func (p *probe) note(format string, args ...any) {
	if len(p.r.Evidence) < 200 {
		p.r.Evidence = append(p.r.Evidence, fmt.Sprintf(format, args...))
	}
}

func (p *probe) user(name string) (TestUser, error) {
	for _, u := range p.env.Users {
		if u.Name == name {
			return u, nil
		}
	}
	return TestUser{}, fmt.Errorf("no test user %q (roles need one)", name)
}

func (p *probe) directory() (map[string]User, []User, error) {
	users, err := p.env.Directory.Users(p.ctx, p.env.Now())
	if err != nil {
		return nil, nil, err
	}
	m := map[string]User{}
	for _, u := range users {
		m[strings.ToLower(u.JID)] = u
	}
	return m, users, nil
}

// Probe runs the probe behind check id (HYB-01 … HYB-14) against env.
func Probe(ctx context.Context, env Env, id string) Result {
	p := &probe{ctx: ctx, env: env, r: Result{ID: id, Where: "the embedded site"}}
	if env.Jabber == nil || env.Directory == nil || env.Webex == nil || env.Now == nil || env.Advance == nil {
		return p.skip("the environment lacks Jabber, Directory, Webex or a clock")
	}
	switch id {
	case "HYB-01":
		return p.directoryURIs()
	case "HYB-02":
		return p.noEmail()
	case "HYB-03":
		return p.routeRole(env.Roles.Peer, env.Roles.Sender, nil)
	case "HYB-04":
		return p.routeRole(env.Roles.JIDNotEmail, env.Roles.Sender, func(u TestUser) string {
			if ident.SameEmail(u.JID, u.Email) {
				return fmt.Sprintf("test user %s has JID %s equal to their email: HYB-04 needs one that differs", u.Name, u.JID)
			}
			return ""
		})
	case "HYB-05":
		return p.emailChange()
	case "HYB-06":
		return p.notBridged()
	case "HYB-07":
		return p.presence()
	case "HYB-08":
		return p.enablement()
	case "HYB-09":
		return p.topology()
	case "HYB-10":
		return p.duplicates()
	case "HYB-11":
		return p.webexFile()
	case "HYB-12":
		return p.bothSides()
	case "HYB-13":
		return p.unroutable()
	case "HYB-14":
		return p.routeRole(env.Roles.CaseOnly, env.Roles.Sender, func(u TestUser) string {
			if u.DirectoryURI == u.Email || !ident.SameEmail(u.DirectoryURI, u.Email) {
				return fmt.Sprintf("test user %s's Directory URI %q must differ from Webex email %q in case only", u.Name, u.DirectoryURI, u.Email)
			}
			return ""
		})
	}
	return p.skip("no probe for " + id)
}

// ProbeAll runs every probe in ID order.
func ProbeAll(ctx context.Context, env Env) []Result {
	var out []Result
	for _, c := range Checks() {
		out = append(out, Probe(ctx, env, c.ID))
	}
	return out
}

// directoryURIs: each test user's Directory URI is their Webex email.
func (p *probe) directoryURIs() Result {
	dir, _, err := p.directory()
	if err != nil {
		return p.fail("the IM&P directory", "%v", err)
	}
	var bad []string
	for _, u := range p.env.Users {
		d, ok := dir[strings.ToLower(u.JID)]
		if u.WebexOnly || !ok || d.DirectoryURI == "" {
			continue // HYB-12 and HYB-02 report those
		}
		p.note("%s: JID %s, Directory URI %s, Webex email %s", u.Name, d.JID, d.DirectoryURI, u.Email)
		if !ident.SameEmail(d.DirectoryURI, u.Email) {
			bad = append(bad, fmt.Sprintf("%s (Directory URI %s, Webex email %s)", u.Name, d.DirectoryURI, u.Email))
		}
	}
	if len(bad) > 0 {
		return p.fail("each test user's Directory URI to equal their Webex email", "%s", strings.Join(bad, "; "))
	}
	return p.pass("every test user's Directory URI is their Webex email")
}

// noEmail: no test user lacks a Directory URI.
func (p *probe) noEmail() Result {
	dir, _, err := p.directory()
	if err != nil {
		return p.fail("the IM&P directory", "%v", err)
	}
	var bad []string
	for _, u := range p.env.Users {
		if d, ok := dir[strings.ToLower(u.JID)]; ok && strings.TrimSpace(d.DirectoryURI) == "" {
			bad = append(bad, fmt.Sprintf("%s (JID %s) has no Directory URI: not routable", u.Name, d.JID))
		}
	}
	if len(bad) > 0 {
		return p.fail("every test user to have an email (Directory URI)", "%s", strings.Join(bad, "; "))
	}
	return p.pass("every test user has a Directory URI")
}

func (p *probe) nonce(tag string) string {
	return fmt.Sprintf("%s %s %d", p.r.ID, tag, p.env.Now().UnixNano())
}

// inboxHas finds a message in jid's inbox.
func (p *probe) inboxHas(jid string, match func(Message) bool) (Message, bool) {
	for _, m := range p.env.Jabber.Inbox(jid) {
		if match(m) {
			return m, true
		}
	}
	return Message{}, false
}

func (p *probe) bounces(jid string) string {
	var out []string
	for _, m := range p.env.Jabber.Inbox(jid) {
		if m.Type == TypeError || m.Type == TypeNotice {
			out = append(out, m.Error)
		}
	}
	if len(out) == 0 {
		return "no report"
	}
	return strings.Join(out[max(0, len(out)-3):], "; ")
}

// webexHas finds a direct message between owner (by token) and other.
func (p *probe) webexHas(owner TestUser, other string, match func(webex.Message) bool) (webex.Message, bool, error) {
	list, ev, err := p.env.Webex.Direct(p.ctx, owner.Token, other)
	p.note("%s", strings.TrimSpace(ev.String()))
	if err != nil {
		return webex.Message{}, false, err
	}
	for _, m := range list {
		if match(m) {
			return m, true, nil
		}
	}
	return webex.Message{}, false, nil
}

func (p *probe) routeRole(aName, bName string, pre func(TestUser) string) Result {
	a, err := p.user(aName)
	if err != nil {
		return p.skip(err.Error())
	}
	b, err := p.user(bName)
	if err != nil {
		return p.skip(err.Error())
	}
	if pre != nil {
		if why := pre(a); why != "" {
			return p.skip(why)
		}
	}
	return p.route(a, b)
}

// route: a's Jabber sends text to b's JID; it must reach b's Webex
// identity from a's; b replies from Webex; the reply must reach a's JID.
func (p *probe) route(a, b TestUser) Result {
	text := p.nonce("hello")
	id := p.nonce("id")
	p.r.Where = fmt.Sprintf("%s (%s) to %s (%s)", a.JID, a.Email, b.JID, b.Email)
	if err := p.env.Jabber.Send(p.ctx, Message{ID: id, From: a.JID, To: b.JID, Type: TypeChat, Body: text}); err != nil {
		return p.fail("the Jabber message sent", "%v", err)
	}
	p.note("sent as %s to %s: %q", a.JID, b.JID, text)
	if _, ok, err := p.webexHas(b, a.Email, func(m webex.Message) bool { return m.Text == text }); err != nil || !ok {
		if err != nil {
			return p.fail(fmt.Sprintf("the text in %s's Webex space with %s", b.Email, a.Email), "%v", err)
		}
		return p.fail(fmt.Sprintf("the text in %s's Webex space with %s", b.Email, a.Email), "nothing (to the sender: %s)", p.bounces(a.JID))
	}
	reply := p.nonce("reply")
	_, ev, err := p.env.Webex.Send(p.ctx, b.Token, webex.Send{ToPersonEmail: a.Email, Text: reply})
	p.note("%s", strings.TrimSpace(ev.String()))
	if err != nil {
		return p.fail("the Webex reply posted", "%v", err)
	}
	if _, ok := p.inboxHas(a.JID, func(m Message) bool {
		return m.Type == TypeChat && m.Body == reply && strings.EqualFold(m.From, b.JID)
	}); !ok {
		return p.fail(fmt.Sprintf("the reply from %s at JID %s", b.JID, a.JID), "nothing in %s's Jabber inbox (%d messages)", a.JID, len(p.env.Jabber.Inbox(a.JID)))
	}
	return p.pass("text reached %s's Webex identity and the reply reached JID %s", b.Email, a.JID)
}

// emailChange: a Directory URI change routes to the new email within 10
// minutes of the connector's sync, measured from just after a sync.
func (p *probe) emailChange() Result {
	if p.env.ChangeDirectoryURI == nil {
		return p.skip("the site's directory cannot be changed by the harness")
	}
	sender, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	mover, err := p.user(p.env.Roles.Mover)
	if err != nil {
		return p.skip(err.Error())
	}
	to, err := p.user(p.env.Roles.MoveTo)
	if err != nil {
		return p.skip(err.Error())
	}
	old := mover.Email
	p.r.Where = fmt.Sprintf("%s (%s → %s)", mover.JID, old, to.Email)
	reaches := func(owner TestUser, tag string) (bool, error) {
		text := p.nonce(tag)
		if err := p.env.Jabber.Send(p.ctx, Message{From: sender.JID, To: mover.JID, Type: TypeChat, Body: text}); err != nil {
			return false, err
		}
		_, ok, err := p.webexHas(owner, sender.Email, func(m webex.Message) bool { return m.Text == text })
		return ok, err
	}
	// 1: change to the new email and step a minute at a time until it
	// routes there: that finds a sync instant.
	if err := p.env.ChangeDirectoryURI(p.ctx, mover.JID, to.Email); err != nil {
		return p.fail("the Directory URI changed", "%v", err)
	}
	found := false
	for i := 0; i <= 120 && !found; i++ {
		ok, err := reaches(to, fmt.Sprintf("step%d", i))
		if err != nil {
			return p.fail("a message to the new email", "%v", err)
		}
		if found = ok; !found {
			p.env.Advance(time.Minute)
		}
	}
	if !found {
		_ = p.env.ChangeDirectoryURI(p.ctx, mover.JID, old)
		return p.fail("the new Directory URI used within 2 hours", "messages still going to %s (to the sender: %s)", old, p.bounces(sender.JID))
	}
	// 2: just after that sync (a second, so not at its instant), change
	// back; 10 minutes later it must route to the old email again.
	p.env.Advance(time.Second)
	if err := p.env.ChangeDirectoryURI(p.ctx, mover.JID, old); err != nil {
		return p.fail("the Directory URI changed back", "%v", err)
	}
	changed := p.env.Now()
	p.env.Advance(10 * time.Minute)
	ok, err := reaches(mover, "back")
	if err != nil {
		return p.fail("a message after the change", "%v", err)
	}
	if !ok {
		return p.fail("a change made just after a sync routed within 10 minutes",
			"the old mapping still used at %s, 10 minutes after the change at %s", p.env.Now().Format(time.RFC3339), changed.Format(time.RFC3339))
	}
	return p.pass("a Directory URI change routed within 10 minutes")
}

// notBridged: group chat, rich text and files from Jabber are reported,
// not lost.
func (p *probe) notBridged() Result {
	a, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	b, err := p.user(p.env.Roles.Peer)
	if err != nil {
		return p.skip(err.Error())
	}
	p.r.Where = fmt.Sprintf("%s to %s", a.JID, b.JID)
	reported := func(id string) bool {
		_, ok := p.inboxHas(a.JID, func(m Message) bool { return m.ID == id && (m.Type == TypeError || m.Type == TypeNotice) })
		return ok
	}
	var bad []string
	// group chat
	gid := p.nonce("group")
	_ = p.env.Jabber.Send(p.ctx, Message{ID: gid, From: a.JID, To: "hybrid-room@conference.example.com", Type: TypeGroupChat, Body: gid})
	if !reported(gid) {
		bad = append(bad, "group chat: no report to the sender")
	}
	// rich text: plain text bridged, formatting reported
	rid := p.nonce("rich")
	text := p.nonce("plain")
	_ = p.env.Jabber.Send(p.ctx, Message{ID: rid, From: a.JID, To: b.JID, Type: TypeChat, Body: text, HTML: "<p><b>" + text + "</b></p>"})
	_, got, err := p.webexHas(b, a.Email, func(m webex.Message) bool { return m.Text == text })
	if err != nil {
		return p.fail("the Webex space readable", "%v", err)
	}
	if !got && !reported(rid) {
		bad = append(bad, "rich text: neither delivered nor reported")
	} else if !reported(rid) {
		bad = append(bad, "rich text: formatting dropped without a report")
	}
	// a file from Jabber
	fid := p.nonce("file")
	_ = p.env.Jabber.Send(p.ctx, Message{ID: fid, From: a.JID, To: b.JID, Type: TypeChat,
		Files: []File{{Name: "hyb-06.pdf", URL: "https://files.example.com/hyb-06.pdf", Size: 1024}}})
	if !reported(fid) {
		bad = append(bad, "file from Jabber: no report to the sender")
	}
	if _, got, _ := p.webexHas(b, a.Email, func(m webex.Message) bool { return len(m.Files) > 0 }); got {
		bad = append(bad, "file from Jabber: appeared in Webex, which the service does not do")
	}
	if len(bad) > 0 {
		return p.fail("group chat, rich text and files from Jabber reported as not bridged", "%s", strings.Join(bad, "; "))
	}
	return p.pass("group chat and files were refused with a report; rich text arrived as plain text with a notice")
}

func (p *probe) touch(u, other TestUser) error {
	if p.env.Touch != nil {
		return p.env.Touch(p.ctx, u.Email)
	}
	_, _, err := p.env.Webex.Send(p.ctx, u.Token, webex.Send{ToPersonEmail: other.Email, Text: p.nonce("activity")})
	return err
}

// presence: Webex presence reaches Jabber within 10 minutes of a poll, goes
// Away, then Offline; Jabber presence never reaches Webex.
func (p *probe) presence() Result {
	a, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	g, err := p.user(p.env.Roles.Watched[0])
	if err != nil {
		return p.skip(err.Error())
	}
	h, err := p.user(p.env.Roles.Watched[1])
	if err != nil {
		return p.skip(err.Error())
	}
	p.r.Where = fmt.Sprintf("%s watching %s and %s", a.JID, g.JID, h.JID)
	seen := func(u TestUser) (Presence, error) { return p.env.Jabber.Presence(p.ctx, a.JID, u.JID) }
	for _, u := range []TestUser{g, h} {
		if pr, err := seen(u); err != nil || pr.Status == StatusAvailable {
			return p.skip(fmt.Sprintf("%s must be idle in Webex before HYB-07 (shows %q, %v)", u.Name, pr.Status, err))
		}
	}
	// 1: g becomes active; step a minute at a time until Jabber shows it:
	// that finds a poll instant.
	if err := p.touch(g, a); err != nil {
		return p.fail("activity in Webex", "%v", err)
	}
	found := false
	for i := 0; i <= 120 && !found; i++ {
		pr, err := seen(g)
		if err != nil {
			return p.fail("presence of "+g.JID, "%v", err)
		}
		if found = pr.Status == StatusAvailable; !found {
			p.env.Advance(time.Minute)
		}
	}
	if !found {
		return p.fail(fmt.Sprintf("%q for %s within 2 hours", StatusAvailable, g.JID), "never")
	}
	// 2: just after that poll (a second, so not at its instant) h becomes
	// active; Jabber must show it 10 minutes later at the latest.
	p.env.Advance(time.Second)
	if err := p.touch(h, a); err != nil {
		return p.fail("activity in Webex", "%v", err)
	}
	active := p.env.Now()
	for step := 0; step < 10; step++ {
		p.env.Advance(time.Minute)
		if pr, _ := seen(h); pr.Status == StatusAvailable {
			break
		}
	}
	pr, err := seen(h)
	if err != nil || pr.Status != StatusAvailable {
		return p.fail(fmt.Sprintf("%q for %s within 10 minutes of its activity at %s", StatusAvailable, h.JID, active.Format(time.RFC3339)),
			"%q (last poll %s, %v)", pr.Status, pr.PolledAt.Format(time.RFC3339), err)
	}
	// 3: idle an hour: Away; idle past 72 hours: offline.
	p.env.Advance(time.Hour)
	if pr, _ := seen(h); pr.Status != StatusAway {
		return p.fail(fmt.Sprintf("%q for %s an hour after its last activity", StatusAway, h.JID), "%q", pr.Status)
	}
	p.env.Advance(72 * time.Hour)
	if pr, _ := seen(h); pr.Show != "offline" {
		return p.fail(fmt.Sprintf("offline for %s 73 hours after its last activity", h.JID), "%q (%s)", pr.Show, pr.Status)
	}
	// 4: Jabber presence must not reach Webex.
	before, _, ev, err := p.env.Webex.Person(p.ctx, a.Token, g.Email)
	p.note("%s", strings.TrimSpace(ev.String()))
	if err != nil {
		return p.fail("the Webex status of "+g.Email, "%v", err)
	}
	if err := p.env.Jabber.SetPresence(p.ctx, g.JID, "dnd"); err != nil {
		return p.fail("Jabber presence set", "%v", err)
	}
	after, _, _, err := p.env.Webex.Person(p.ctx, a.Token, g.Email)
	_ = p.env.Jabber.SetPresence(p.ctx, g.JID, "available")
	if err != nil {
		return p.fail("the Webex status of "+g.Email, "%v", err)
	}
	if after.Status != before.Status {
		return p.fail(fmt.Sprintf("Webex status of %s unchanged by Jabber presence", g.Email), "%q before Jabber went dnd, %q after", before.Status, after.Status)
	}
	return p.pass("Webex presence reached Jabber within 10 minutes, went Away then offline; Jabber presence stayed out of Webex")
}

// enablement: every test user is enabled on both sides.
func (p *probe) enablement() Result {
	dir, _, err := p.directory()
	if err != nil {
		return p.fail("the IM&P directory", "%v", err)
	}
	var bad []string
	for _, u := range p.env.Users {
		if u.WebexOnly {
			continue
		}
		d, ok := dir[strings.ToLower(u.JID)]
		if ok && !d.Enabled {
			bad = append(bad, fmt.Sprintf("%s is not enabled for IM and Presence", u.Name))
		}
		if p.env.Hybrid == nil {
			continue
		}
		exists, on, err := p.env.Hybrid(p.ctx, u.Email)
		switch {
		case err != nil:
			return p.fail("the Webex entitlement of "+u.Email, "%v", err)
		case exists && !on:
			bad = append(bad, fmt.Sprintf("%s (%s) is not enabled for Hybrid Message in Webex", u.Name, u.Email))
		}
	}
	if len(bad) > 0 {
		return p.fail("every test user enabled on both sides", "%s: their messages are not bridged", strings.Join(bad, "; "))
	}
	if p.env.Hybrid == nil {
		return p.pass("every test user is enabled for IM and Presence (the Webex entitlement was not readable)")
	}
	return p.pass("every test user is enabled on both sides")
}

func (p *probe) topology() Result {
	v := p.env.Topology.Violations()
	sort.Strings(v)
	p.r.Where = "the site's topology"
	if len(v) > 0 {
		return p.fail("a topology within the Hybrid Message scale limits", "%s", strings.Join(v, "; "))
	}
	return p.pass("%d users, %d connector cluster(s): within the limits", p.env.Topology.OrgUsers, len(p.env.Topology.ConnectorClusters))
}

// duplicates: no two IM&P users share a Directory URI, and the connector
// maps each test user's email to one user.
func (p *probe) duplicates() Result {
	_, all, err := p.directory()
	if err != nil {
		return p.fail("the IM&P directory", "%v", err)
	}
	by := map[string][]string{}
	for _, u := range all {
		if k, err := ident.EmailKey(u.DirectoryURI); err == nil {
			by[k] = append(by[k], u.JID)
		}
	}
	var bad []string
	for k, jids := range by {
		if len(jids) > 1 {
			bad = append(bad, fmt.Sprintf("%s is the Directory URI of %s", k, strings.Join(jids, " and ")))
		}
	}
	if p.env.Connector != nil {
		for _, u := range p.env.Users {
			if _, err := p.env.Connector.Lookup(p.ctx, u.Email); errors.Is(err, ErrAmbiguous) {
				bad = append(bad, "the connector: "+err.Error())
			}
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return p.fail("one IM&P user per email", "%s", strings.Join(bad, "; "))
	}
	return p.pass("every Directory URI belongs to one user")
}

// webexFile: a file sent from Webex reaches Jabber as a link.
func (p *probe) webexFile() Result {
	a, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	b, err := p.user(p.env.Roles.Peer)
	if err != nil {
		return p.skip(err.Error())
	}
	p.r.Where = fmt.Sprintf("%s (Webex) to %s", b.Email, a.JID)
	link := "https://files.example.com/hyb-11/" + strings.ReplaceAll(p.nonce("report"), " ", "-") + ".pdf"
	_, ev, err := p.env.Webex.Send(p.ctx, b.Token, webex.Send{ToPersonEmail: a.Email, Text: "the report", Files: []string{link}})
	p.note("%s", strings.TrimSpace(ev.String()))
	if err != nil {
		return p.fail("the Webex message with a file posted", "%v", err)
	}
	if _, ok := p.inboxHas(a.JID, func(m Message) bool { return strings.Contains(m.Body, link) }); !ok {
		return p.fail(fmt.Sprintf("the file as a link (%s) at %s", link, a.JID), "no message with the link (%d in the inbox)", len(p.env.Jabber.Inbox(a.JID)))
	}
	return p.pass("the file arrived at %s as a link", a.JID)
}

// bothSides: every test user exists in IM&P and in Webex.
func (p *probe) bothSides() Result {
	dir, _, err := p.directory()
	if err != nil {
		return p.fail("the IM&P directory", "%v", err)
	}
	a, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	var bad []string
	for _, u := range p.env.Users {
		if !u.WebexOnly {
			if _, ok := dir[strings.ToLower(u.JID)]; !ok {
				bad = append(bad, fmt.Sprintf("%s: no IM&P user with JID %s", u.Name, u.JID))
			}
		}
		_, found, ev, err := p.env.Webex.Person(p.ctx, a.Token, u.Email)
		if err != nil {
			p.note("%s", strings.TrimSpace(ev.String()))
			return p.fail("Webex people readable as "+a.Email, "%v", err)
		}
		if !found {
			bad = append(bad, fmt.Sprintf("%s: no Webex identity %s", u.Name, u.Email))
		}
	}
	if len(bad) > 0 {
		return p.fail("every test user on both sides", "%s", strings.Join(bad, "; "))
	}
	return p.pass("every test user exists in IM&P and in Webex")
}

// unroutable: a message the connector cannot map is reported.
func (p *probe) unroutable() Result {
	a, err := p.user(p.env.Roles.Sender)
	if err != nil {
		return p.skip(err.Error())
	}
	to := p.env.Roles.Unmapped
	p.r.Where = fmt.Sprintf("%s to %s", a.JID, to)
	id := p.nonce("unmapped")
	if err := p.env.Jabber.Send(p.ctx, Message{ID: id, From: a.JID, To: to, Type: TypeChat, Body: id}); err != nil {
		return p.fail("the Jabber message sent", "%v", err)
	}
	if m, ok := p.inboxHas(a.JID, func(m Message) bool { return m.ID == id && m.Type == TypeError }); ok {
		return p.pass("reported to the sender: %s", m.Error)
	}
	return p.fail("a report to the sender that the message was not bridged", "silence")
}
