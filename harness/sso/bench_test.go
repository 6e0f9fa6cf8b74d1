package sso_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkJourney: one user's Webex sign-in through the IdP plus UCM's
// code grant reusing the IdP session (everything in process over TLS on
// loopback).
func BenchmarkJourney(b *testing.B) {
	s := newSite(b, faults{})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := s.journey(b, alice)
		if _, err := j.SignInWebex(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := j.SignInUCM(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate: the validator UDS, Expressway and SIP call per request.
func BenchmarkValidate(b *testing.B) {
	s := newSite(b, faults{})
	j := s.journey(b, alice)
	ctx := context.Background()
	if _, err := j.SignInWebex(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := j.SignInUCM(ctx); err != nil {
		b.Fatal(err)
	}
	v, tok, now := s.ucm.Validator(), j.Tokens().Access.Reveal(), s.clock.Now().Add(time.Minute)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
