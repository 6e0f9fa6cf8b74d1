// Package sso holds the steps of SSO reuse and OAuth (features/sso): thin
// steps that call the harness, with the site data from the target. Its
// AccessToken is the identity the other capabilities reuse (SIP OAuth
// registers with it).
package sso

import (
	"context"
	"sync"

	"example.com/cutover/harness/target"
	"example.com/cutover/steps"
)

type stateKey struct{}

// ssoState is the scenario's SSO state: one journey (browser, tokens) per
// user and node.
type ssoState struct {
	mu       sync.Mutex
	journeys map[string]*journey
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
	r.Before(func(ctx context.Context) context.Context {
		return context.WithValue(ctx, stateKey{}, &ssoState{})
	})
}
