package sipreg

import (
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/httpauth"
)

const (
	// ErrNoBearer is wrapped when a 401/407 offers no Bearer challenge.
	ErrNoBearer = Sentinel("sipreg: no Bearer challenge")
	// ErrDigestOnly is wrapped (with ErrNoBearer) when the only scheme
	// offered is Digest: SIP OAuth excludes Digest (Cisco TN215572,
	// "Restriction"), so a client must not fall back to it.
	ErrDigestOnly = Sentinel("sipreg: registrar offers only Digest")

	// UCMRealm is the realm UCM puts in its Bearer challenge (TN215572).
	UCMRealm = "ccmsipline"

	// Bearer error codes (RFC 6750 §3.1).
	BearerInvalidRequest    = "invalid_request"
	BearerInvalidToken      = "invalid_token"
	BearerInsufficientScope = "insufficient_scope"
)

// Challenge is what a 401 or 407 asked for: the Bearer challenge if one
// was offered (RFC 8898 §2.2, RFC 6750 §3) and every scheme on offer.
type Challenge struct {
	// Status is 401 or 407; Header is WWW-Authenticate or
	// Proxy-Authenticate accordingly (RFC 3261 §22.1, §22.3).
	Status int
	Header string
	// Bearer parameters; empty when absent.
	Realm, Scope, AuthzServer, Error, ErrorDescription string
	// Schemes lists every auth-scheme offered, in order ("Bearer", "Digest").
	Schemes []string
}

// UCMStyle reports whether the challenge looks like UCM's: no
// authz_server and no scope (Cisco TN215572), as opposed to RFC 8898's.
func (c Challenge) UCMStyle() bool { return c.AuthzServer == "" && c.Scope == "" }

// CredentialsHeader is where the answer goes: Proxy-Authorization after
// 407, Authorization after 401 (RFC 3261 §22.2, §22.3; RFC 8898 §2.2).
func (c Challenge) CredentialsHeader() string {
	if c.Status == 407 {
		return "Proxy-Authorization"
	}
	return "Authorization"
}

// ParseChallenge reads the challenge of a 401 or 407 response. Several
// header fields and several challenges per field are allowed (RFC 8898
// §2.3); the first Bearer one wins. A broken challenge (bad quoting) wraps
// ErrMalformed and httpauth.ErrSyntax; no Bearer wraps ErrNoBearer, and
// also ErrDigestOnly when Digest was offered.
func ParseChallenge(m *Message) (Challenge, error) {
	c := Challenge{Status: m.StatusCode}
	switch m.StatusCode {
	case 401:
		c.Header = "WWW-Authenticate"
	case 407:
		c.Header = "Proxy-Authenticate"
	default:
		return c, fmt.Errorf("sipreg: status %d is not a challenge", m.StatusCode)
	}
	values := m.Values(c.Header)
	if len(values) == 0 {
		return c, fmt.Errorf("%w: %w: %d without %s", ErrMalformed, ErrNoBearer, m.StatusCode, c.Header)
	}
	var bearer *httpauth.Challenge
	for _, v := range values {
		cs, err := httpauth.ParseChallenges(v)
		if err != nil {
			return c, fmt.Errorf("%w: %s: %w", ErrMalformed, c.Header, err)
		}
		for i := range cs {
			c.Schemes = append(c.Schemes, cs[i].Scheme)
			if bearer == nil && cs[i].Is("Bearer") {
				bearer = &cs[i]
			}
		}
	}
	if bearer == nil {
		err := fmt.Errorf("%w: %s offers %s", ErrNoBearer, c.Header, strings.Join(c.Schemes, ", "))
		if onlyDigest(c.Schemes) {
			err = fmt.Errorf("%w: %w", ErrDigestOnly, err)
		}
		return c, err
	}
	c.Realm, _ = bearer.Param("realm")
	c.Scope, _ = bearer.Param("scope")
	c.AuthzServer, _ = bearer.Param("authz_server")
	c.Error, _ = bearer.Param("error")
	c.ErrorDescription, _ = bearer.Param("error_description")
	return c, nil
}

func onlyDigest(schemes []string) bool {
	for _, s := range schemes {
		if !strings.EqualFold(s, "Digest") {
			return false
		}
	}
	return len(schemes) > 0
}

// FormatChallenge writes a Bearer challenge value with the non-empty
// parameters in RFC 8898 order: realm, scope, authz_server, error,
// error_description.
func FormatChallenge(realm, scope, authzServer, errCode, errDesc string) string {
	c := httpauth.Challenge{Scheme: "Bearer"}
	for _, p := range []httpauth.Param{
		{Name: "realm", Value: realm}, {Name: "scope", Value: scope},
		{Name: "authz_server", Value: authzServer},
		{Name: "error", Value: errCode}, {Name: "error_description", Value: errDesc},
	} {
		if p.Value != "" {
			c.Params = append(c.Params, p)
		}
	}
	return c.String()
}

// Credentials writes Bearer credentials in the given form: UCM's
// `Bearer token="…"` or RFC 6750 §2.1's `Bearer …`.
func Credentials(token string, form httpauth.BearerForm) string {
	return httpauth.Bearer(token, form)
}

// BearerCredentials is what a request presented.
type BearerCredentials struct {
	// Header is Proxy-Authorization or Authorization.
	Header string
	Scheme string
	// Token is empty unless Scheme is Bearer.
	Token string
	Form  httpauth.BearerForm
}

// ErrNoCredentials is returned by RequestCredentials when neither header is
// present.
const ErrNoCredentials = Sentinel("sipreg: no credentials")

// RequestCredentials finds the credentials of a request: Proxy-Authorization
// first, then Authorization. Non-Bearer credentials come back with their
// Scheme and no Token; unparseable ones wrap ErrMalformed.
func RequestCredentials(m *Message) (BearerCredentials, error) {
	for _, h := range []string{"Proxy-Authorization", "Authorization"} {
		v := m.Get(h)
		if v == "" {
			continue
		}
		return ParseCredentials(h, v)
	}
	return BearerCredentials{}, ErrNoCredentials
}

// ParseCredentials parses one Authorization or Proxy-Authorization value.
func ParseCredentials(header, value string) (BearerCredentials, error) {
	bc := BearerCredentials{Header: header}
	c, err := httpauth.ParseCredentials(value)
	if err != nil {
		return bc, fmt.Errorf("%w: %s: %w", ErrMalformed, header, err)
	}
	bc.Scheme = c.Scheme
	if !c.Is("Bearer") {
		return bc, nil
	}
	tok, err := httpauth.BearerToken(c)
	if err != nil {
		return bc, fmt.Errorf("%w: %s: %w", ErrMalformed, header, err)
	}
	bc.Token = tok
	if c.Token68 == "" {
		bc.Form = httpauth.FormUCM
	}
	return bc, nil
}

// Token validation outcomes a validator reports, wrapped or as is.
const (
	ErrTokenExpired   = Sentinel("sipreg: token expired")
	ErrTokenSignature = Sentinel("sipreg: token signature invalid")
	ErrTokenRevoked   = Sentinel("sipreg: token revoked")
	ErrTokenUnknown   = Sentinel("sipreg: token unknown")
)

// TokenReason is the error_description a registrar gives for a validator
// error.
func TokenReason(err error) string {
	switch {
	case errors.Is(err, ErrTokenExpired):
		return "The access token expired"
	case errors.Is(err, ErrTokenSignature):
		return "The access token signature is invalid"
	case errors.Is(err, ErrTokenRevoked):
		return "The access token was revoked"
	default:
		return "The access token is not valid"
	}
}
