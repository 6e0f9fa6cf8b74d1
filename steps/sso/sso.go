// Package sso holds the steps of SSO reuse and OAuth (features/sso): thin
// steps that call the harness, with the site data from the target. Its
// AccessToken is the identity the other capabilities reuse (SIP OAuth
// registers with it).
package sso

import (
	"context"
	"sync"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

type stateKey struct{}

// ssoState is the scenario's SSO state: one journey (browser, tokens) per
// user and node.
type ssoState struct {
	gate     *gate
	mu       sync.Mutex
	journeys map[string]*journey
	// runs are the scenario's users (see runs).
	runs []*userRun
	// metadata is the IdP metadata fetched, md its parse.
	metadata []byte
	md       idp.Metadata
}

func state(ctx context.Context) *ssoState {
	s, _ := ctx.Value(stateKey{}).(*ssoState)
	return s
}

// journey returns the scenario's journey of u from where, at their home
// publisher.
func (s *ssoState) journey(_ context.Context, t *target.Target, where target.Where, u target.User) (*journey, error) {
	return s.journeyAt(t, where, u, "")
}

func (s *ssoState) journeyAt(t *target.Target, where target.Where, u target.User, node string) (*journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := string(where) + "/" + u.Username + "@" + node
	if j, ok := s.journeys[key]; ok {
		return j, nil
	}
	j, err := newJourneyAt(t, where, u, node)
	if err != nil {
		return nil, err
	}
	j.gate = s.gate
	if s.journeys == nil {
		s.journeys = map[string]*journey{}
	}
	s.journeys[key] = j
	return j, nil
}

// Register adds the sso steps.
func Register(r *steps.Registry) {
	if t := r.Target(); t != nil && t.Site.SSO.Admin.Password != "" {
		t.AddSecret(t.Site.SSO.Admin.Password)
	}
	g := &gate{}
	r.Before(func(ctx context.Context) context.Context {
		return context.WithValue(ctx, stateKey{}, &ssoState{gate: g})
	})
	r.Step(`^every test user signs in to Webex$`, signInWebex)
	r.Step(`^every test user signs in to UCM( in the same browser)?$`, func(ctx context.Context, _ string) (context.Context, error) { return signInUCM(ctx) })
	r.Step(`^every Webex sign-in showed one credential prompt, at the IdP$`, webexOnePrompt)
	r.Step(`^no UCM sign-in showed a credential prompt$`, noUCMPrompt)
	r.Step(`^every test user holds a UCM access token$`, holdsToken)
	r.Step(`^both sign-ins went to the IdP the target names and UCM showed no login form of its own$`, sameIdP)
	r.Step(`^every sign-in used the code grant and returned a refresh token$`, codeGrant)
	r.Step(`^every test user asks Expressway-E for get_edge_config with the access token$`, edgeWithToken)
	r.Step(`^Expressway-E accepted every access token$`, edgeAccepted)
	r.Step(`^every test user refreshes the access token$`, refreshAll)
	r.Step(`^every refresh returned a new access token without a browser$`, refreshedWithoutBrowser)
	r.Step(`^every access token is a JWT of 3 \(signed\) or 5 \(encrypted\) parts$`, tokensAreJWT)
	r.Step(`^UDS accepts every test user's access token$`, udsAccepts)
	r.Step(`^every access token lives between (\d+) and (\d+) minutes$`, accessLifetimes)
	r.Step(`^every refresh token lives between (\d+) and (\d+) days$`, refreshLifetimes)
	r.Step(`^it fetches the IdP metadata$`, fetchMetadata)
	r.Step(`^the metadata names an SSO service and a signing certificate$`, metadataComplete)
	r.Step(`^every signing certificate is valid for at least 30 more days$`, certsValid)
	r.Step(`^every assertion posted to UCM verifies against the IdP metadata for UCM's entity ID and ACS$`, assertionsValid)
	r.Step(`^every assertion's NameID is the user's email or its uid attribute the username$`, nameIDMaps)
	r.Step(`^every node of the user's home cluster accepts the access token on UDS$`, everyNodeAccepts)
	r.Step(`^the access tokens' lifetime passes$`, lifetimePasses)
	r.Step(`^UDS refuses every test user's expired access token$`, udsRefusesExpired)
	r.Step(`^the administrator revokes the tokens of the first test user$`, revokeFirst)
	r.Step(`^the first test user's refresh is refused$`, firstRefused)
	r.Step(`^every other test user's refresh still works$`, othersRefresh)
}

// gate serialises the sign-ins of one user across the run's concurrent
// scenarios: a password the site refuses is recorded (and then never sent
// there again) before the next scenario could send it.
type gate struct {
	mu    sync.Mutex
	users map[string]*sync.Mutex
}

// lock holds user's sign-ins until the returned func is called; a nil gate
// holds nothing.
func (g *gate) lock(user string) func() {
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	if g.users == nil {
		g.users = map[string]*sync.Mutex{}
	}
	m, ok := g.users[user]
	if !ok {
		m = &sync.Mutex{}
		g.users[user] = m
	}
	g.mu.Unlock()
	m.Lock()
	return m.Unlock
}
