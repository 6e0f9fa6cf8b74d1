// Package testtoken mints and checks small HS256 JWTs for the sipreg
// tests and examples. The harness wires the real OAuth fake's keys into
// the registrar; these tokens only exercise the registrar's and client's
// logic.
package testtoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/sipreg"
)

// Issuer mints tokens under one key and remembers revocations.
type Issuer struct {
	key []byte

	mu      sync.Mutex
	revoked map[string]bool
}

// New returns an issuer with key.
func New(key string) *Issuer { return &Issuer{key: []byte(key), revoked: map[string]bool{}} }

type claims struct {
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
	Jti string `json:"jti"`
}

// Mint returns a token for user that expires at exp.
func (is *Issuer) Mint(user string, exp time.Time) string {
	head := b64([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims{Sub: user, Exp: exp.Unix(), Jti: sipreg.RandomHex(6)})
	signing := head + "." + b64(body)
	return signing + "." + b64(is.sign(signing))
}

// Revoke marks tok revoked.
func (is *Issuer) Revoke(tok string) {
	is.mu.Lock()
	is.revoked[tok] = true
	is.mu.Unlock()
}

func (is *Issuer) sign(s string) []byte {
	m := hmac.New(sha256.New, is.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Validate is a sipreg.TokenValidator: signature, expiry, revocation.
func (is *Issuer) Validate(tok string, now time.Time) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: not a JWT", sipreg.ErrTokenUnknown)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, is.sign(parts[0]+"."+parts[1])) {
		return "", sipreg.ErrTokenSignature
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("%w: bad claims", sipreg.ErrTokenUnknown)
	}
	var c claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Sub == "" {
		return "", fmt.Errorf("%w: bad claims", sipreg.ErrTokenUnknown)
	}
	is.mu.Lock()
	revoked := is.revoked[tok]
	is.mu.Unlock()
	if revoked {
		return c.Sub, sipreg.ErrTokenRevoked
	}
	if !now.Before(time.Unix(c.Exp, 0)) {
		return c.Sub, sipreg.ErrTokenExpired
	}
	return c.Sub, nil
}

// Tamper changes one character inside the signature (not the last,
// whose low bits base64 ignores).
func Tamper(tok string) string {
	i := len(tok) - 5
	if i < 0 {
		return tok + "x"
	}
	repl := byte('A')
	if tok[i] == 'A' {
		repl = 'B'
	}
	return tok[:i] + string(repl) + tok[i+1:]
}
