package oauth

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzInspect: tokens come from the site. Invariants: no panic; errors
// wrap ErrMalformed; a token that inspects has 3 or 5 parts, and claims
// only when it has 3.
func FuzzInspect(f *testing.F) {
	s := mustServer()
	f.Add(mustMint(s, "access"))
	e, _ := New(SSODisabled(), EncryptTokens())
	f.Add(mustMint(e, "access"))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, tok string) {
		info, err := Inspect(tok)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if info.Parts != 3 && info.Parts != 5 {
			t.Fatalf("parts %d", info.Parts)
		}
		if info.Encrypted && info.Subject != "" {
			t.Fatal("claims read from an encrypted token")
		}
	})
}

// FuzzValidator: the validator UDS, Expressway and SIP use. Invariants: no
// panic; errors wrap one of the four sentinels; nothing but the seed's
// own valid token is accepted, as alice.
func FuzzValidator(f *testing.F) {
	s := mustServer()
	good := mustMint(s, "access")
	f.Add(good)
	f.Add(mustMint(s, "refresh"))
	f.Add(good[:len(good)-3] + "abc")
	f.Add(strings.Replace(good, ".", "..", 1))
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	v := s.Validator()
	f.Fuzz(func(t *testing.T, tok string) {
		user, err := v(tok, now)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrRevoked) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		if user != "alice" {
			t.Fatalf("accepted a token for %q", user)
		}
	})
}

// FuzzParseTokenResponse: token endpoint answers. Invariants: no panic;
// errors wrap ErrTokenResponse or ErrGrant; what parses re-encodes to
// JSON that parses to the same tokens.
func FuzzParseTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"a.b.c","token_type":"Bearer","expires_in":3600,"refresh_token":"d.e.f","refresh_token_expires_in":5184000,"scope":"UnifiedCommunications:readwrite"}`))
	f.Add([]byte(`{"error":"invalid_grant","error_description":"revoked"}`))
	f.Add([]byte(`{"access_token":"x","token_type":"mac"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tk, err := ParseTokenResponse(b)
		if err != nil {
			if !errors.Is(err, ErrTokenResponse) && !errors.Is(err, ErrGrant) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		out, _ := json.Marshal(TokenResponse{AccessToken: tk.Access.Reveal(), TokenType: tk.TokenType, ExpiresIn: int64(tk.ExpiresIn / time.Second),
			RefreshToken: tk.Refresh.Reveal(), RefreshTokenExpiresIn: int64(tk.RefreshExpiresIn / time.Second), Scope: tk.Scope})
		tk2, err := ParseTokenResponse(out)
		if err != nil || tk2 != tk {
			t.Fatalf("round trip: %v %v", tk2, err)
		}
	})
}

// FuzzParseRevokeResponse: revoke answers. Invariants: no panic; errors
// wrap ErrRevokeResponse; what parses re-encodes stably.
func FuzzParseRevokeResponse(f *testing.F) {
	f.Add([]byte(`{"revoked_tokens":{"status":"success","user_id":"alice","clientID_tokens":[{"client_id":"C","revoked":1}]}}`))
	f.Add([]byte(`{"revoked_tokens":{"status":"failure","user_id":"zed","clientID_tokens":[]}}`))
	f.Add([]byte(`{"revoked_tokens":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRevokeResponse(b)
		if err != nil {
			if !errors.Is(err, ErrRevokeResponse) {
				t.Fatalf("error %v does not wrap ErrRevokeResponse", err)
			}
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseRevokeResponse(out)
		if err != nil || r2.RevokedTokens.Status != r.RevokedTokens.Status || r2.RevokedTokens.UserID != r.RevokedTokens.UserID || len(r2.RevokedTokens.ClientIDTokens) != len(r.RevokedTokens.ClientIDTokens) {
			t.Fatalf("round trip: %+v %v", r2, err)
		}
	})
}

func mustMint(s *Server, kind string) string {
	tok, err := s.mint("alice", DefaultClientID, kind, time.Hour)
	if err != nil {
		panic(err)
	}
	return tok
}

func mustServer() *Server {
	s, err := New(SSODisabled(), WithClock(func() time.Time { return time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC) }))
	if err != nil {
		panic(err)
	}
	return s
}
