package fakesite

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/hybrid/webex"
)

// Service kinds of Hybrid Messaging.
const (
	KindAXL   = "imp-axl" // IM&P publisher's AXL listUser (harness/hybrid)
	KindWebex = "webex"   // the Webex REST API, /v1/ (harness/hybrid/webex)
)

// AXLSettings is IM&P's AXL. The directory comes from the site's
// migrating users (user ID the JID's local part, Directory URI the Webex
// email, enabled for IM and Presence); every field is a fault.
type AXLSettings struct {
	// DirectoryURI replaces users' Directory URIs (username → URI; "" for
	// none: no mail in LDAP).
	DirectoryURI map[string]string `yaml:"directory_uri,omitempty" json:"directory_uri,omitempty"`
	// IMPDisabled are users not enabled for IM and Presence.
	IMPDisabled []string `yaml:"imp_disabled,omitempty" json:"imp_disabled,omitempty"`
	// Missing are users IM&P does not have.
	Missing []string `yaml:"missing,omitempty" json:"missing,omitempty"`
	// Open answers listUser without authentication.
	Open bool `yaml:"open,omitempty" json:"open,omitempty"`
}

// WebexSettings is the Webex messaging service. Its people are the site's
// migrating users (their Webex email and token); every field is a fault.
type WebexSettings struct {
	// Email replaces users' Webex emails (username → email).
	Email map[string]string `yaml:"email,omitempty" json:"email,omitempty"`
	// RejectBearer refuses every token (401).
	RejectBearer bool `yaml:"reject_bearer,omitempty" json:"reject_bearer,omitempty"`
}

type axlHandler struct{ http.Handler }

func (axlHandler) Close() error { return nil }

// hybridDirectory is IM&P's directory as the plan and the AXL settings
// make it.
func hybridDirectory(env *Env, a *AXLSettings) []hybrid.User {
	var out []hybrid.User
	for _, u := range env.Plan.Site.HybridUsers() {
		if slices.Contains(a.Missing, u.Username) {
			continue
		}
		uid, _, _ := strings.Cut(u.Hybrid.JID, "@")
		uri := u.Hybrid.WebexEmail
		if v, ok := a.DirectoryURI[u.Username]; ok {
			uri = v
		}
		out = append(out, hybrid.User{UserID: uid, JID: u.Hybrid.JID, DirectoryURI: uri, Enabled: !slices.Contains(a.IMPDisabled, u.Username)})
	}
	return out
}

func hybridKinds() []Kind {
	return []Kind{
		{
			Name: KindAXL, Transport: TLS, Paths: []string{hybrid.AXLPath},
			Settings: func() any { return &AXLSettings{} },
			Handler: func(env *Env, svc *Service) (Handler, error) {
				a := svc.Settings.(*AXLSettings)
				acct := env.Plan.Site.Hybrid.AXL
				st, err := impOf(env)
				if err != nil {
					return nil, err
				}
				users := func() []hybrid.User {
					us, _ := st.mem.Users(context.Background(), env.Now())
					return us
				}
				update := func(userid, uri string) error {
					for _, u := range env.Plan.Site.HybridUsers() {
						if uid, _, _ := strings.Cut(u.Hybrid.JID, "@"); strings.EqualFold(uid, userid) {
							return st.mem.SetDirectoryURI(u.Hybrid.JID, uri)
						}
					}
					return hybrid.ErrUnknownUser
				}
				return axlHandler{hybrid.AXLHandler(users, update, acct.Username, acct.Password, a.Open)}, nil
			},
		},
		{
			Name: KindWebex, Transport: TLS, Paths: []string{"/v1/", webexLinkPath},
			Settings: func() any { return &WebexSettings{} },
			Handler: func(env *Env, svc *Service) (Handler, error) {
				s := svc.Settings.(*WebexSettings)
				var people []webex.Person
				for _, u := range env.Plan.Site.HybridUsers() {
					email := u.Hybrid.WebexEmail
					if v, ok := s.Email[u.Username]; ok {
						email = v
					}
					people = append(people, webex.Person{Email: email, DisplayName: u.Username, Token: u.Hybrid.WebexToken, Hybrid: true})
				}
				if c := env.Plan.Site.Hybrid.EmailChange; c != nil {
					people = append(people, webex.Person{Email: c.NewEmail, DisplayName: c.NewEmail, Token: c.WebexToken, Hybrid: true})
				}
				link := &webexLink{wake: make(chan struct{})}
				opts := []webex.Option{webex.WithClock(env.Now), webex.WithPeople(people...), webex.WithBridge(link.push)}
				if s.RejectBearer {
					opts = append(opts, webex.RejectBearer())
				}
				wx, err := webex.New(opts...)
				if err != nil {
					return nil, fmt.Errorf("webex: %w", err)
				}
				link.wx = wx
				return webexMux{wx: wx, link: link}, nil
			},
		},
		c2sKind(), impLinkKind(), connectorKind(),
	}
}
