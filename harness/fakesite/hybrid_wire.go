package fakesite

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/webex"
)

// The wire of Hybrid Messaging: IM&P's c2s and connector link, the
// connector on Expressway-C, and the connector's link to Webex.

// Service kinds of the wire.
const (
	KindC2S       = "imp-c2s"            // IM&P XMPP c2s for Jabber clients (STARTTLS, SASL PLAIN)
	KindIMPLink   = "imp-connector-link" // IM&P's XMPP link for the connector (TCP 7400, no TLS)
	KindConnector = "hybrid-connector"   // the Hybrid Message connector (Expressway-C)
)

// ConnectorSettings is the Hybrid Message connector. IMP is where its XMPP
// link goes; the AXL account and Webex come from the site. The fields
// after IMP are faults.
type ConnectorSettings struct {
	// IMP is the IM&P publisher's link, host:port. Default: the AXL host
	// on 7400.
	IMP string `yaml:"imp,omitempty" json:"imp,omitempty"`
	// SyncInterval is how often the directory is read. Default 10m.
	SyncInterval string `yaml:"sync_interval,omitempty" json:"sync_interval,omitempty"`
	// JIDAsEmail ignores the Directory URI and uses the JID as the email.
	JIDAsEmail bool `yaml:"jid_as_email,omitempty" json:"jid_as_email,omitempty"`
	// OneWay drops everything from Webex.
	OneWay bool `yaml:"one_way,omitempty" json:"one_way,omitempty"`
	// GroupChatSilently, FilesSilently and RichTextSilently drop what the
	// service does not bridge without telling the sender.
	GroupChatSilently bool `yaml:"group_chat_silently,omitempty" json:"group_chat_silently,omitempty"`
	FilesSilently     bool `yaml:"files_silently,omitempty" json:"files_silently,omitempty"`
	RichTextSilently  bool `yaml:"rich_text_silently,omitempty" json:"rich_text_silently,omitempty"`
	// PresencePoll is how often Webex presence is polled. Default 10m.
	PresencePoll string `yaml:"presence_poll,omitempty" json:"presence_poll,omitempty"`
	// PushPresence sends Jabber presence to Webex.
	PushPresence bool `yaml:"push_presence,omitempty" json:"push_presence,omitempty"`
}

// DefaultIMPLinkPort is the connector's XMPP port on IM&P.
const DefaultIMPLinkPort = 7400

// webexLinkPath is the connector's link on the Webex host: the events it
// polls and the calls it makes as the service.
const webexLinkPath = "/hybrid/"

// impState is IM&P's state, shared by its AXL, c2s and link services.
type impState struct {
	mem    *hybrid.MemoryIMP
	domain string

	mu       sync.Mutex
	link     *hybrid.Stream
	probes   map[string]chan hybrid.Presence
	seq      int
	sessions map[string]map[*hybrid.Stream]bool
}

func impOf(env *Env) (*impState, error) {
	v, err := env.Shared("hybrid-imp", func() (any, error) {
		a := &AXLSettings{}
		for _, s := range env.Host.Services {
			if x, ok := s.Settings.(*AXLSettings); ok {
				a = x
			}
		}
		mem, err := hybrid.NewMemoryIMP(env.Now, hybridDirectory(env, a)...)
		if err != nil {
			return nil, err
		}
		st := &impState{mem: mem, domain: env.Plan.Site.Domains.IMP, probes: map[string]chan hybrid.Presence{}, sessions: map[string]map[*hybrid.Stream]bool{}}
		mem.AttachBridge(st)
		mem.OnDeliver(st.push)
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*impState), nil
}

// push sends a delivered message to jid's c2s sessions (under mem's lock:
// writes happen in their own goroutine so nothing blocks).
func (st *impState) push(jid string, m hybrid.Message) {
	st.mu.Lock()
	var to []*hybrid.Stream
	for s := range st.sessions[jid] {
		to = append(to, s)
	}
	st.mu.Unlock()
	for _, s := range to {
		go func() { _ = s.Send(hybrid.StanzaOf(m)) }()
	}
}

func (st *impState) currentLink() *hybrid.Stream {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.link
}

// FromJabber implements hybrid.Bridge: the message goes to the connector.
func (st *impState) FromJabber(_ context.Context, m hybrid.Message) (hybrid.Event, error) {
	l := st.currentLink()
	if l == nil {
		return hybrid.Event{}, fmt.Errorf("%w: no connector on the link", hybrid.ErrNotBridged)
	}
	return hybrid.Event{}, l.Send(hybrid.StanzaOf(m))
}

// Presence implements hybrid.Bridge: a probe the connector answers.
func (st *impState) Presence(ctx context.Context, jid string) (hybrid.Presence, error) {
	l := st.currentLink()
	if l == nil {
		return hybrid.Presence{}, fmt.Errorf("%w: no connector on the link", hybrid.ErrNotBridged)
	}
	st.mu.Lock()
	st.seq++
	id := "probe" + strconv.Itoa(st.seq)
	ch := make(chan hybrid.Presence, 1)
	st.probes[id] = ch
	st.mu.Unlock()
	defer func() { st.mu.Lock(); delete(st.probes, id); st.mu.Unlock() }()
	if err := l.Send(hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, Type: "probe", To: jid, ID: id}); err != nil {
		return hybrid.Presence{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	select {
	case p := <-ch:
		if p.Show == "" {
			return p, fmt.Errorf("%w: the connector does not map %s", hybrid.ErrUnknownUser, jid)
		}
		return p, nil
	case <-ctx.Done():
		return hybrid.Presence{}, ctx.Err()
	}
}

// JabberPresence implements hybrid.Bridge.
func (st *impState) JabberPresence(_ context.Context, jid, show string) error {
	l := st.currentLink()
	if l == nil {
		return nil
	}
	return l.Send(hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, From: jid, Show: show})
}

// tcpService accepts on a listener and runs handle per connection until
// closed.
type tcpService struct {
	ln     net.Listener
	ctx    context.Context
	cancel func()
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]bool
	once   sync.Once
}

func serveTCP(addr string, handle func(ctx context.Context, c net.Conn)) (*tcpService, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &tcpService{ln: ln, ctx: ctx, cancel: cancel, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.track(c, true)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.track(c, false)
				defer c.Close()
				handle(ctx, c)
			}()
		}
	}()
	return s, nil
}

func (s *tcpService) track(c net.Conn, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.conns[c] = true
	} else {
		delete(s.conns, c)
	}
}

func (s *tcpService) Addr() string { return s.ln.Addr().String() }

func (s *tcpService) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return nil
}

// C2SSettings is IM&P's c2s; its field is a fault.
type C2SSettings struct {
	// RefusePasswords refuses every password (SASL not-authorized).
	RefusePasswords bool `yaml:"refuse_passwords,omitempty" json:"refuse_passwords,omitempty"`
}

func c2sKind() Kind {
	return Kind{
		Name: KindC2S, Transport: TCP,
		Settings: func() any { return &C2SSettings{} },
		Start: func(_ context.Context, env *Env, svc *Service, addr string) (Running, error) {
			refuse := svc.Settings.(*C2SSettings).RefusePasswords
			st, err := impOf(env)
			if err != nil {
				return nil, err
			}
			cert, err := env.ServerCert()
			if err != nil {
				return nil, err
			}
			cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			site := env.Plan.Site
			auth := func(user, pw string) (string, bool) {
				for _, u := range site.HybridUsers() {
					if refuse {
						break
					}
					uid, _, _ := strings.Cut(u.Hybrid.JID, "@")
					if strings.EqualFold(uid, user) && pw == u.Password {
						return strings.ToLower(u.Hybrid.JID), true
					}
				}
				return "", false
			}
			return serveTCP(addr, func(ctx context.Context, c net.Conn) {
				_ = c.SetDeadline(time.Now().Add(env.Timeout()))
				s, jid, err := hybrid.ServeC2S(c, cfg, st.domain, auth)
				if err != nil {
					return
				}
				_ = c.SetDeadline(time.Time{})
				st.mu.Lock()
				if st.sessions[jid] == nil {
					st.sessions[jid] = map[*hybrid.Stream]bool{}
				}
				st.sessions[jid][s] = true
				st.mu.Unlock()
				defer func() { st.mu.Lock(); delete(st.sessions[jid], s); st.mu.Unlock() }()
				for {
					in, err := s.Next()
					if err != nil {
						return
					}
					switch in.XMLName.Local {
					case "message":
						m := in.Message()
						m.From, m.Time = jid, env.Now()
						_ = st.mem.Send(ctx, m)
					case "presence":
						if in.Type == "probe" {
							p, err := st.mem.Presence(ctx, jid, hybrid.Bare(in.To))
							out := hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, From: hybrid.Bare(in.To), To: jid, ID: in.ID, Show: p.Show, Status: p.Status}
							if err != nil {
								out.Type, out.Show = "error", ""
								out.Status = err.Error()
							}
							_ = s.Send(out)
							continue
						}
						show := in.Show
						if in.Type == "unavailable" {
							show = "offline"
						} else if show == "" {
							show = "available"
						}
						_ = st.mem.SetPresence(ctx, jid, show)
					case "iq":
						_ = s.Send(hybrid.Stanza{XMLName: xml.Name{Local: "iq"}, Type: "error", ID: in.ID, To: jid,
							Error: &hybrid.StanzaError{Text: "service-unavailable"}})
					}
				}
			})
		},
	}
}

func impLinkKind() Kind {
	return Kind{
		Name: KindIMPLink, Transport: TCP,
		Start: func(_ context.Context, env *Env, _ *Service, addr string) (Running, error) {
			st, err := impOf(env)
			if err != nil {
				return nil, err
			}
			return serveTCP(addr, func(ctx context.Context, c net.Conn) {
				_ = c.SetDeadline(time.Now().Add(env.Timeout()))
				s, err := hybrid.ComponentAccept(c, st.domain)
				if err != nil {
					return
				}
				_ = c.SetDeadline(time.Time{})
				st.mu.Lock()
				st.link = s
				st.mu.Unlock()
				defer func() {
					st.mu.Lock()
					if st.link == s {
						st.link = nil
					}
					st.mu.Unlock()
				}()
				for {
					in, err := s.Next()
					if err != nil {
						return
					}
					switch in.XMLName.Local {
					case "message":
						_ = st.mem.Deliver(ctx, in.Message())
					case "presence":
						st.mu.Lock()
						ch := st.probes[in.ID]
						st.mu.Unlock()
						if ch != nil {
							ch <- hybrid.Presence{Show: in.Show, Status: in.Status}
						}
					}
				}
			})
		},
	}
}

// webexLink is the Webex side of the connector's link: 1:1 messages to
// Hybrid Message users queue as events the connector polls, and the
// calls the connector makes as the service.
type webexLink struct {
	wx *webex.Server

	mu     sync.Mutex
	events []webex.Message
	wake   chan struct{}
}

type linkEvent struct {
	Seq     int           `json:"seq"`
	Message webex.Message `json:"message"`
}

func (l *webexLink) push(_ context.Context, m webex.Message) error {
	l.mu.Lock()
	l.events = append(l.events, m)
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
	return nil
}

func (l *webexLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	reply := func(v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch strings.TrimPrefix(r.URL.Path, webexLinkPath) {
	case "events":
		after, _ := strconv.Atoi(q.Get("after"))
		t := time.NewTimer(time.Second)
		defer t.Stop()
		for {
			l.mu.Lock()
			var out []linkEvent
			for i := after; i < len(l.events); i++ {
				out = append(out, linkEvent{Seq: i + 1, Message: l.events[i]})
			}
			wake := l.wake
			l.mu.Unlock()
			if len(out) > 0 {
				reply(out, nil)
				return
			}
			select {
			case <-wake:
			case <-t.C:
				reply([]linkEvent{}, nil)
				return
			case <-r.Context().Done():
				return
			}
		}
	case "deliver":
		var d struct {
			From, To string
			Message  webex.Message
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&d); err != nil {
			reply(nil, err)
			return
		}
		_, err := l.wx.Deliver(d.From, d.To, d.Message)
		reply(struct{}{}, err)
	case "person":
		on, err := l.wx.Hybrid(q.Get("email"))
		reply(struct{ Exists, Hybrid bool }{err == nil, on}, nil)
	case "activity":
		at, err := time.Parse(time.RFC3339Nano, q.Get("at"))
		if err != nil {
			reply(nil, err)
			return
		}
		t, ok := l.wx.LastActivity(q.Get("email"), at)
		reply(struct {
			Last time.Time
			OK   bool
		}{t, ok}, nil)
	case "status":
		var d struct{ Email, Status string }
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&d); err != nil {
			reply(nil, err)
			return
		}
		reply(struct{}{}, l.wx.SetStatus(d.Email, d.Status))
	default:
		http.NotFound(w, r)
	}
}

// webexMux is the Webex host: the API under /v1/, the connector's link
// under /hybrid/.
type webexMux struct {
	wx   *webex.Server
	link *webexLink
}

func (m webexMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, webexLinkPath) {
		m.link.ServeHTTP(w, r)
		return
	}
	m.wx.ServeHTTP(w, r)
}

func (m webexMux) Close() error { return m.wx.Close() }

// remoteWebex is the connector's Webex, over the link.
type remoteWebex struct {
	hc   *http.Client
	base string
}

func (x remoteWebex) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, x.base+webexLinkPath+path, rd)
	if err != nil {
		return err
	}
	resp, err := x.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fakesite: webex link %s: %d %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (x remoteWebex) Deliver(ctx context.Context, from, to string, m webex.Message) error {
	return x.call(ctx, http.MethodPost, "deliver", struct {
		From, To string
		Message  webex.Message
	}{from, to, m}, nil)
}

func (x remoteWebex) Hybrid(ctx context.Context, email string) (bool, bool, error) {
	var r struct{ Exists, Hybrid bool }
	err := x.call(ctx, http.MethodGet, "person?email="+url.QueryEscape(email), nil, &r)
	return r.Exists, r.Hybrid, err
}

func (x remoteWebex) LastActivity(ctx context.Context, email string, t time.Time) (time.Time, bool) {
	var r struct {
		Last time.Time
		OK   bool
	}
	if err := x.call(ctx, http.MethodGet, "activity?email="+url.QueryEscape(email)+"&at="+url.QueryEscape(t.UTC().Format(time.RFC3339Nano)), nil, &r); err != nil {
		return time.Time{}, false
	}
	return r.Last, r.OK
}

func (x remoteWebex) SetStatus(ctx context.Context, email, status string) error {
	return x.call(ctx, http.MethodPost, "status", struct{ Email, Status string }{email, status}, nil)
}

// remoteIMP is the connector's IM&P: the XMPP link and AXL.
type remoteIMP struct {
	hc     *http.Client
	site   func() (base, user, password, domain string)
	mu     sync.Mutex
	stream *hybrid.Stream
}

func (r *remoteIMP) current() *hybrid.Stream {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stream
}

func (r *remoteIMP) Deliver(_ context.Context, m hybrid.Message) error {
	s := r.current()
	if s == nil {
		return errors.New("fakesite: no XMPP link to IM&P")
	}
	return s.Send(hybrid.StanzaOf(m))
}

func (r *remoteIMP) Users(ctx context.Context, _ time.Time) ([]hybrid.User, error) {
	base, user, pw, domain := r.site()
	users, _, _, err := hybrid.ListUsers(ctx, r.hc, base, user, pw, domain)
	return users, err
}

// connectorRun is a running connector: its loops and its status port.
type connectorRun struct {
	*tcpService
	cancel func()
	done   sync.WaitGroup
	linked chan struct{} // closed once the XMPP link to IM&P first came up
	once   sync.Once
}

// up records that the link came up.
func (c *connectorRun) up() { c.once.Do(func() { close(c.linked) }) }

// Settled implements Settler: the connector is ready once its XMPP link
// to IM&P is up. Until then IM&P has no connector to hand Jabber messages
// to, and drops them: a check that ran then would see a healthy site lose
// its messages.
func (c *connectorRun) Settled(ctx context.Context) error {
	select {
	case <-c.linked:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("fakesite: hybrid-connector: no XMPP link to IM&P yet: %w", ctx.Err())
	}
}

func (c *connectorRun) Close() error {
	c.cancel()
	err := c.tcpService.Close()
	c.done.Wait()
	return err
}

// wait pauses d or until ctx ends (a reconnect's back-off).
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func connectorKind() Kind {
	return Kind{
		Name: KindConnector, Transport: TCP,
		Settings: func() any { return &ConnectorSettings{} },
		Start: func(_ context.Context, env *Env, svc *Service, addr string) (Running, error) {
			cs := svc.Settings.(*ConnectorSettings)
			site := env.Plan.Site
			h := site.Hybrid
			impAddr := cs.IMP
			if impAddr == "" {
				impAddr = fmt.Sprintf("%s:%d", h.AXL.Host, DefaultIMPLinkPort)
			}
			roots, err := env.Roots()
			if err != nil {
				return nil, err
			}
			hc := &http.Client{Timeout: env.Timeout(), Transport: &http.Transport{DialContext: env.Dial,
				TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
			opts := []hybrid.Option{hybrid.WithClock(env.Now)}
			if cs.SyncInterval != "" {
				d, err := time.ParseDuration(cs.SyncInterval)
				if err != nil {
					return nil, fmt.Errorf("%w: sync_interval: %v", ErrPlan, err)
				}
				opts = append(opts, hybrid.DirectorySyncInterval(d))
			}
			if cs.PresencePoll != "" {
				d, err := time.ParseDuration(cs.PresencePoll)
				if err != nil {
					return nil, fmt.Errorf("%w: presence_poll: %v", ErrPlan, err)
				}
				opts = append(opts, hybrid.PresencePollInterval(d))
			}
			for on, o := range map[*bool]hybrid.Option{&cs.JIDAsEmail: hybrid.JIDAsEmail(), &cs.OneWay: hybrid.OneWayBridge(),
				&cs.GroupChatSilently: hybrid.BridgeGroupChatSilently(), &cs.FilesSilently: hybrid.DropFilesSilently(),
				&cs.RichTextSilently: hybrid.DropRichTextSilently(), &cs.PushPresence: hybrid.PushJabberPresence()} {
				if *on {
					opts = append(opts, o)
				}
			}
			imp := &remoteIMP{hc: hc, site: func() (string, string, string, string) {
				return "https://" + h.AXLHost(), h.AXL.Username, h.AXL.Password, site.Domains.IMP
			}}
			wx := remoteWebex{hc: hc, base: "https://" + h.WebexAPI}
			conn, err := hybrid.NewConnector(imp, wx, opts...)
			if err != nil {
				return nil, err
			}
			status, err := serveTCP(addr, func(_ context.Context, c net.Conn) {
				s := "down"
				if imp.current() != nil {
					s = "up"
				}
				fmt.Fprintf(c, "hybrid message connector: IM&P link %s (%s)\n", s, impAddr)
			})
			if err != nil {
				return nil, err
			}
			ctx, cancel := context.WithCancel(context.Background())
			run := &connectorRun{tcpService: status, cancel: cancel, linked: make(chan struct{})}
			run.done.Add(2)
			go func() { defer run.done.Done(); linkLoop(ctx, env, impAddr, imp, conn, run.up) }()
			go func() { defer run.done.Done(); pollLoop(ctx, hc, wx.base, conn) }()
			return run, nil
		},
	}
}

// linkLoop keeps the connector's XMPP link to IM&P up and serves it;
// up is called each time the link is up.
func linkLoop(ctx context.Context, env *Env, impAddr string, imp *remoteIMP, conn *hybrid.Connector, up func()) {
	for ctx.Err() == nil {
		c, err := env.Dial(ctx, "tcp", impAddr)
		if err != nil {
			wait(ctx, 100*time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(env.Timeout()))
		s, err := hybrid.ComponentOpen(c, "hybrid."+env.Plan.Site.Domains.IMP)
		if err != nil {
			stop()
			c.Close()
			wait(ctx, 100*time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Time{})
		imp.mu.Lock()
		imp.stream = s
		imp.mu.Unlock()
		up()
		for {
			in, err := s.Next()
			if err != nil {
				break
			}
			switch in.XMLName.Local {
			case "message":
				_, _ = conn.FromJabber(ctx, in.Message())
			case "presence":
				if in.Type == "probe" {
					p, err := conn.Presence(ctx, hybrid.Bare(in.To))
					out := hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, From: hybrid.Bare(in.To), ID: in.ID, Show: p.Show, Status: p.Status}
					if err != nil {
						out.Show = ""
					}
					_ = s.Send(out)
					continue
				}
				_ = conn.JabberPresence(ctx, hybrid.Bare(in.From), in.Show)
			}
		}
		imp.mu.Lock()
		imp.stream = nil
		imp.mu.Unlock()
		stop()
		c.Close()
	}
}

// pollLoop takes the Webex messages for Hybrid Message users and bridges
// them.
func pollLoop(ctx context.Context, hc *http.Client, base string, conn *hybrid.Connector) {
	after := 0
	wx := remoteWebex{hc: hc, base: base}
	for ctx.Err() == nil {
		var evs []linkEvent
		if err := wx.call(ctx, http.MethodGet, "events?after="+strconv.Itoa(after), nil, &evs); err != nil {
			wait(ctx, 100*time.Millisecond)
			continue
		}
		for _, e := range evs {
			_ = conn.FromWebex(ctx, e.Message)
			after = e.Seq
		}
	}
}
