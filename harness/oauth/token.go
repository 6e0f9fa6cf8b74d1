package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/cutover/harness/httpx"
)

const (
	// MaxToken caps a token the validator or Inspect looks at (16 KiB).
	MaxToken = 16 << 10

	// ErrMalformed: not a JWS/JWE compact token, bad encoding, wrong type.
	ErrMalformed = httpx.Sentinel("oauth: malformed token")
	// ErrBadSignature: the signature (or encryption) does not verify with
	// the cluster's current keys (tampered, foreign, or keys regenerated).
	ErrBadSignature = httpx.Sentinel("oauth: token signature invalid")
	// ErrExpired: exp has passed.
	ErrExpired = httpx.Sentinel("oauth: token expired")
	// ErrRevoked: the user's tokens were revoked.
	ErrRevoked = httpx.Sentinel("oauth: token revoked")
)

// ValidatorFunc checks an access token at now and returns its user. Errors
// wrap ErrMalformed, ErrBadSignature, ErrExpired or ErrRevoked. UDS
// (ucm.WithTokenValidator, through UDSValidator), the Expressway fake and
// the SIP registrar take it.
type ValidatorFunc func(token string, now time.Time) (user string, err error)

// Secret is a token or password: fmt prints it as [redacted]; Reveal gives
// the value to whoever must send it.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String is "[redacted]" (or "" for an empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString is String, so %#v leaks nothing either.
func (s Secret) GoString() string { return s.String() }

// Claims are the claims of the fake's tokens.
type Claims struct {
	jwt.Claims
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"` // "access" or "refresh"
}

// Cluster is what the nodes of one UCM cluster share: the signing and
// encryption keys (cluster-wide, per Cisco's OAuth white paper) and the
// record of issued tokens that revocation marks. Safe for concurrent use.
type Cluster struct {
	mu     sync.Mutex
	gen    int
	kid    string
	sign   *rsa.PrivateKey
	enc    *rsa.PrivateKey
	issued map[string]*issued // jti

	// shared: the key came from outside (NewClusterWithKey), so other
	// nodes holding it mint tokens this node has no record of; revokedAt
	// keeps this node's revocations by user (lower case) and client ("":
	// every client) for those.
	shared    bool
	revokedAt map[[2]string]time.Time
}

type issued struct {
	user, client, kind string
	revoked            bool
}

// NewCluster makes fresh keys (RSA 2048 for RS256 and RSA-OAEP-256).
func NewCluster() (*Cluster, error) {
	c := &Cluster{issued: map[string]*issued{}}
	if err := c.RegenerateKeys(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewClusterWithKey makes a cluster on key, the cluster-wide key every
// node of one UCM cluster holds: nodes that do not share a process (one
// container each) validate each other's tokens because they hold the same
// key. Such a cluster accepts any token of its key, its own or another
// node's; revocation (and its record of issued tokens) is this node's
// alone. The key also encrypts (EncryptTokens), so encrypted tokens cross
// nodes too. The key ID is derived from the public key: the same on every
// node.
func NewClusterWithKey(key *rsa.PrivateKey) (*Cluster, error) {
	if key == nil {
		return nil, fmt.Errorf("oauth: keys: no key")
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("oauth: keys: %w", err)
	}
	sum := sha256.Sum256(der)
	return &Cluster{
		gen: 1, kid: "ucm-oauth-1-" + hex.EncodeToString(sum[:4]), sign: key, enc: key,
		issued: map[string]*issued{}, shared: true, revokedAt: map[[2]string]time.Time{},
	}, nil
}

// RegenerateKeys replaces the keys, as "Regenerate keys" on UCM does:
// every token issued before is void (ErrBadSignature).
func (c *Cluster) RegenerateKeys() error {
	sk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("oauth: keys: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.kid = fmt.Sprintf("ucm-oauth-%d-%s", c.gen, randomHex(4))
	c.sign, c.enc = sk, nil // the encryption key is made when first needed
	return nil
}

// encKey returns the encryption key of the current generation, making it
// on first use (most sites of the suite never encrypt).
func (c *Cluster) encKey() (*rsa.PrivateKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enc == nil {
		ek, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("oauth: keys: %w", err)
		}
		c.enc = ek
	}
	return c.enc, nil
}

// Generation counts key generations, starting at 1.
func (c *Cluster) Generation() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *Cluster) keys() (string, *rsa.PrivateKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kid, c.sign
}

// mint signs (and with encrypt, then encrypts) a token and records it.
func (c *Cluster) mint(cl Claims, encrypt bool) (string, error) {
	kid, sk := c.keys()
	cl.ID = randomHex(16)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: sk},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	var tok string
	if encrypt {
		ek, err := c.encKey()
		if err != nil {
			return "", err
		}
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &ek.PublicKey, KeyID: kid},
			(&jose.EncrypterOptions{}).WithType("JWT").WithContentType("JWT"))
		if err != nil {
			return "", err
		}
		tok, err = jwt.SignedAndEncrypted(signer, enc).Claims(cl).Serialize()
		if err != nil {
			return "", err
		}
	} else {
		tok, err = jwt.Signed(signer).Claims(cl).Serialize()
		if err != nil {
			return "", err
		}
	}
	c.mu.Lock()
	c.issued[cl.ID] = &issued{user: cl.Subject, client: cl.ClientID, kind: cl.TokenType}
	c.mu.Unlock()
	return tok, nil
}

// revoke marks the user's tokens (for one client, if given) and returns
// how many per client.
func (c *Cluster) revoke(user, client string, now time.Time) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shared {
		c.revokedAt[[2]string{strings.ToLower(user), client}] = now
	}
	out := map[string]int{}
	for _, t := range c.issued {
		if strings.EqualFold(t.user, user) && (client == "" || t.client == client) && !t.revoked {
			t.revoked = true
			if t.kind == "refresh" {
				out[t.client]++
			}
		}
	}
	return out
}

type checkOpts struct {
	kind          string
	acceptExpired bool
	ignoreRevoked bool
}

// check verifies tok and returns its claims.
func (c *Cluster) check(tok string, now time.Time, o checkOpts) (Claims, error) {
	var cl Claims
	if len(tok) > MaxToken {
		return cl, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(tok), MaxToken)
	}
	kid, sk := c.keys()
	parts := strings.Count(tok, ".") + 1
	var signed *jwt.JSONWebToken
	switch parts {
	case 3:
		t, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			return cl, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		signed = t
	case 5:
		// go-jose's JWT layer refuses asymmetric key encryption on parse,
		// so the JWE is opened with the JOSE layer and its payload parsed
		// as the signed JWT it must be.
		e, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			return cl, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if cty, _ := e.Header.ExtraHeaders[jose.HeaderContentType].(string); !strings.EqualFold(cty, "JWT") {
			return cl, fmt.Errorf("%w: encrypted token is not a nested JWT (cty %q)", ErrMalformed, clip(cty))
		}
		ek, err := c.encKey()
		if err != nil {
			return cl, err
		}
		inner, err := e.Decrypt(ek)
		if err != nil {
			return cl, fmt.Errorf("%w: decrypt: %v", ErrBadSignature, err)
		}
		t, err := jwt.ParseSigned(string(inner), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			return cl, fmt.Errorf("%w: inner token: %v", ErrMalformed, err)
		}
		signed = t
	default:
		return cl, fmt.Errorf("%w: %d dot-separated parts, want 3 (JWS) or 5 (JWE)", ErrMalformed, parts)
	}
	if len(signed.Headers) != 1 || signed.Headers[0].KeyID != kid {
		return cl, fmt.Errorf("%w: key %q is not the cluster's current key", ErrBadSignature, headerKid(signed))
	}
	if err := signed.Claims(&sk.PublicKey, &cl); err != nil {
		return cl, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if cl.TokenType != o.kind {
		return cl, fmt.Errorf("%w: %s token where %s token wanted", ErrMalformed, cl.TokenType, o.kind)
	}
	if cl.Subject == "" || cl.Expiry == nil {
		return cl, fmt.Errorf("%w: no sub or exp", ErrMalformed)
	}
	if !o.acceptExpired && !now.Before(cl.Expiry.Time()) {
		return cl, fmt.Errorf("%w: at %s (now %s)", ErrExpired, cl.Expiry.Time().UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	c.mu.Lock()
	rec := c.issued[cl.ID]
	foreignRevoked := rec == nil && c.shared && c.revokedLocked(cl)
	c.mu.Unlock()
	if rec == nil && !c.shared {
		return cl, fmt.Errorf("%w: token %s was not issued by this cluster", ErrBadSignature, clip(cl.ID))
	}
	if (foreignRevoked || rec != nil && rec.revoked) && !o.ignoreRevoked {
		return cl, fmt.Errorf("%w: tokens of %s revoked", ErrRevoked, cl.Subject)
	}
	return cl, nil
}

// revokedLocked reports whether a token of another node was issued no
// later than a revocation of its user (and client) here.
func (c *Cluster) revokedLocked(cl Claims) bool {
	if cl.IssuedAt == nil {
		return true
	}
	iat := cl.IssuedAt.Time()
	for _, client := range []string{"", cl.ClientID} {
		if at, ok := c.revokedAt[[2]string{strings.ToLower(cl.Subject), client}]; ok && !iat.After(at) {
			return true
		}
	}
	return false
}

func headerKid(t *jwt.JSONWebToken) string {
	if len(t.Headers) == 0 {
		return ""
	}
	return t.Headers[0].KeyID
}

// TokenInfo is what anyone can read from a token without keys.
type TokenInfo struct {
	// Parts is 3 for a JWS, 5 for a JWE.
	Parts     int
	Encrypted bool
	Alg, Kid  string
	// The claims below are empty for an encrypted token.
	Subject, Issuer, TokenType, Scope string
	IssuedAt, Expiry                  time.Time
}

// Lifetime is Expiry minus IssuedAt (0 if either is unknown).
func (i TokenInfo) Lifetime() time.Duration {
	if i.IssuedAt.IsZero() || i.Expiry.IsZero() {
		return 0
	}
	return i.Expiry.Sub(i.IssuedAt)
}

// Inspect reads a token from a site without verifying it: its shape (a
// 3-part JWS or 5-part JWE), header and, for a JWS, its claims. Errors
// wrap ErrMalformed. It never panics.
func Inspect(tok string) (TokenInfo, error) {
	var info TokenInfo
	if len(tok) > MaxToken {
		return info, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformed, len(tok), MaxToken)
	}
	info.Parts = strings.Count(tok, ".") + 1
	switch info.Parts {
	case 3:
		t, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{
			jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
			jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512})
		if err != nil {
			return info, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(t.Headers) > 0 {
			info.Alg, info.Kid = t.Headers[0].Algorithm, t.Headers[0].KeyID
		}
		var cl Claims
		if err := t.UnsafeClaimsWithoutVerification(&cl); err != nil {
			return info, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
		}
		info.Subject, info.Issuer, info.TokenType, info.Scope = cl.Subject, cl.Issuer, cl.TokenType, cl.Scope
		if cl.IssuedAt != nil {
			info.IssuedAt = cl.IssuedAt.Time()
		}
		if cl.Expiry != nil {
			info.Expiry = cl.Expiry.Time()
		}
	case 5:
		info.Encrypted = true
		// Any key and content algorithms: only the header is read.
		t, err := jose.ParseEncryptedCompact(tok,
			[]jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256, jose.RSA1_5, jose.A128KW, jose.A256KW, jose.DIRECT,
				jose.ECDH_ES, jose.ECDH_ES_A128KW, jose.ECDH_ES_A256KW, jose.A128GCMKW, jose.A256GCMKW},
			[]jose.ContentEncryption{jose.A128GCM, jose.A192GCM, jose.A256GCM, jose.A128CBC_HS256, jose.A192CBC_HS384, jose.A256CBC_HS512})
		if err != nil {
			return info, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		info.Alg, info.Kid = t.Header.Algorithm, t.Header.KeyID
	default:
		return info, fmt.Errorf("%w: %d dot-separated parts, want 3 (JWS) or 5 (JWE)", ErrMalformed, info.Parts)
	}
	return info, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func clip(s string) string {
	if len(s) > 48 {
		return s[:48] + "…"
	}
	return s
}
