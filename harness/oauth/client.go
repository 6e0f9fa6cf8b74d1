package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
)

const (
	// maxJSON caps a token or revoke answer (64 KiB).
	maxJSON = 64 << 10

	// ErrTokenResponse is wrapped by token endpoint answers that are not
	// a usable token response.
	ErrTokenResponse = httpx.Sentinel("oauth: bad token response")
	// ErrRevokeResponse is wrapped by revoke answers that do not parse.
	ErrRevokeResponse = httpx.Sentinel("oauth: bad revoke response")
	// ErrGrant wraps an OAuth error answer (RFC 6749 §5.2), e.g.
	// invalid_grant after a revocation.
	ErrGrant = httpx.Sentinel("oauth: grant refused")
)

// TokenResponse is the token endpoint's JSON (RFC 6749 §5.1).
// refresh_token_expires_in is the fake's own addition.
type TokenResponse struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int64  `json:"expires_in,omitempty"`
	RefreshToken          string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in,omitempty"`
	Scope                 string `json:"scope,omitempty"`
}

// RevokeResponse is the revoke API's JSON.
type RevokeResponse struct {
	RevokedTokens struct {
		Status         string            `json:"status"`
		UserID         string            `json:"user_id"`
		ClientIDTokens []json.RawMessage `json:"clientID_tokens"`
	} `json:"revoked_tokens"`
}

// Tokens is what a sign-in or refresh yields; the secrets print as
// [redacted].
type Tokens struct {
	Access, Refresh Secret
	TokenType       string
	// ExpiresIn and RefreshExpiresIn are as announced (0 if not).
	ExpiresIn, RefreshExpiresIn time.Duration
	Scope                       string
}

// ParseTokenResponse parses a token endpoint answer. It needs an
// access_token and token_type Bearer (case-insensitive, RFC 6749 §7.1);
// errors wrap ErrTokenResponse, or ErrGrant for an OAuth error object.
func ParseTokenResponse(b []byte) (Tokens, error) {
	if len(b) > maxJSON {
		return Tokens{}, fmt.Errorf("%w: %d bytes, more than %d", ErrTokenResponse, len(b), maxJSON)
	}
	var raw struct {
		TokenResponse
		Error     string `json:"error"`
		ErrorDesc string `json:"error_description"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Tokens{}, fmt.Errorf("%w: %v", ErrTokenResponse, err)
	}
	if raw.Error != "" {
		return Tokens{}, fmt.Errorf("%w: %s: %s", ErrGrant, clip(raw.Error), clip(raw.ErrorDesc))
	}
	if raw.AccessToken == "" {
		return Tokens{}, fmt.Errorf("%w: no access_token", ErrTokenResponse)
	}
	if !strings.EqualFold(raw.TokenType, "Bearer") {
		return Tokens{}, fmt.Errorf("%w: token_type %q, want Bearer", ErrTokenResponse, clip(raw.TokenType))
	}
	if raw.ExpiresIn < 0 || raw.RefreshTokenExpiresIn < 0 || raw.ExpiresIn > 1<<40 || raw.RefreshTokenExpiresIn > 1<<40 {
		return Tokens{}, fmt.Errorf("%w: bad expires_in", ErrTokenResponse)
	}
	return Tokens{
		Access: Secret(raw.AccessToken), Refresh: Secret(raw.RefreshToken), TokenType: raw.TokenType,
		ExpiresIn: time.Duration(raw.ExpiresIn) * time.Second, RefreshExpiresIn: time.Duration(raw.RefreshTokenExpiresIn) * time.Second,
		Scope: raw.Scope,
	}, nil
}

// ParseRevokeResponse parses the revoke API's JSON; errors wrap
// ErrRevokeResponse.
func ParseRevokeResponse(b []byte) (RevokeResponse, error) {
	var r RevokeResponse
	if len(b) > maxJSON {
		return r, fmt.Errorf("%w: %d bytes, more than %d", ErrRevokeResponse, len(b), maxJSON)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return RevokeResponse{}, fmt.Errorf("%w: %v", ErrRevokeResponse, err)
	}
	if r.RevokedTokens.Status == "" {
		return RevokeResponse{}, fmt.Errorf("%w: no revoked_tokens.status", ErrRevokeResponse)
	}
	return r, nil
}

// ImplicitTokens reads the tokens from an implicit-grant callback's
// fragment (RFC 6749 §4.2.2); an error fragment wraps ErrGrant.
func ImplicitTokens(callback *url.URL) (Tokens, error) {
	if callback == nil {
		return Tokens{}, fmt.Errorf("%w: no callback", ErrTokenResponse)
	}
	v, err := url.ParseQuery(callback.EscapedFragment())
	if err != nil {
		return Tokens{}, fmt.Errorf("%w: fragment: %v", ErrTokenResponse, err)
	}
	if e := v.Get("error"); e != "" {
		return Tokens{}, fmt.Errorf("%w: %s: %s", ErrGrant, clip(e), clip(v.Get("error_description")))
	}
	b, _ := json.Marshal(map[string]any{"access_token": v.Get("access_token"), "token_type": v.Get("token_type")})
	t, err := ParseTokenResponse(b)
	if err != nil {
		return Tokens{}, err
	}
	var secs int64
	if _, err := fmt.Sscan(v.Get("expires_in"), &secs); err == nil && secs > 0 {
		t.ExpiresIn = time.Duration(secs) * time.Second
	}
	return t, nil
}

// CodeFrom reads the code of a code-grant callback (RFC 6749 §4.1.2); an
// error answer wraps ErrGrant.
func CodeFrom(callback *url.URL) (Secret, error) {
	if callback == nil {
		return "", fmt.Errorf("%w: no callback", ErrTokenResponse)
	}
	q := callback.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("%w: %s: %s", ErrGrant, clip(e), clip(q.Get("error_description")))
	}
	if q.Get("code") == "" {
		return "", fmt.Errorf("%w: callback without code", ErrTokenResponse)
	}
	return Secret(q.Get("code")), nil
}

// Evidence is one exchange with secrets redacted (see httpx.Evidence):
// the form values sent are not kept, and token values in the body are
// replaced.
type Evidence = httpx.Evidence

// Client calls the token and revoke endpoints with an injected client.
type Client struct {
	hc *http.Client
}

// NewClient wraps hc; nil means a client with httpx.DefaultTimeout.
func NewClient(hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: httpx.DefaultTimeout}
	}
	return &Client{hc: hc}
}

// Exchange redeems a code at tokenURL (RFC 6749 §4.1.3).
func (c *Client) Exchange(ctx context.Context, tokenURL string, app App, code Secret) (Tokens, Evidence, error) {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code.Reveal()}, "redirect_uri": {app.RedirectURI}}
	return c.tokenCall(ctx, tokenURL, app, f)
}

// Refresh gets a new access token with a refresh token (RFC 6749 §6).
func (c *Client) Refresh(ctx context.Context, tokenURL string, app App, refresh Secret) (Tokens, Evidence, error) {
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh.Reveal()}}
	return c.tokenCall(ctx, tokenURL, app, f)
}

func (c *Client) tokenCall(ctx context.Context, tokenURL string, cl App, f url.Values) (Tokens, Evidence, error) {
	if cl.Secret == "" {
		f.Set("client_id", cl.ID)
	}
	body, ev, err := c.do(ctx, http.MethodPost, tokenURL, f, func(r *http.Request) {
		if cl.Secret != "" {
			r.SetBasicAuth(cl.ID, cl.Secret.Reveal())
		}
	})
	if err != nil && body == nil {
		return Tokens{}, ev, fmt.Errorf("oauth: token: %w", err)
	}
	t, perr := ParseTokenResponse(body)
	if perr != nil {
		if err != nil && !strings.Contains(perr.Error(), "grant refused") {
			return Tokens{}, ev, fmt.Errorf("oauth: token: %w", err)
		}
		ev.Err = perr.Error()
		return Tokens{}, ev, fmt.Errorf("oauth: token: %w", perr)
	}
	return t, ev, nil
}

// Revoke calls the revoke API as admin for user (and client, if not "").
func (c *Client) Revoke(ctx context.Context, revokeURL string, admin Admin, user, clientID string) (RevokeResponse, Evidence, error) {
	u, err := url.Parse(revokeURL)
	if err != nil {
		return RevokeResponse{}, Evidence{}, fmt.Errorf("oauth: revoke: %w", err)
	}
	q := u.Query()
	q.Set("user_id", user)
	if clientID != "" {
		q.Set("client_id", clientID)
	}
	u.RawQuery = q.Encode()
	body, ev, err := c.do(ctx, http.MethodPost, u.String(), nil, func(r *http.Request) { r.SetBasicAuth(admin.Username, admin.Password) })
	if err != nil {
		return RevokeResponse{}, ev, fmt.Errorf("oauth: revoke: %w", err)
	}
	rr, err := ParseRevokeResponse(body)
	if err != nil {
		ev.Err = err.Error()
		return rr, ev, fmt.Errorf("oauth: revoke: %w", err)
	}
	return rr, ev, nil
}

// do sends a request and returns the body of a JSON answer (also for
// non-2xx, with a *httpx.StatusError), with token values scrubbed from
// the evidence body.
func (c *Client) do(ctx context.Context, method, rawURL string, form url.Values, auth func(*http.Request)) ([]byte, Evidence, error) {
	ev := Evidence{Method: method, URL: rawURL}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, httpx.DefaultTimeout)
		defer cancel()
	}
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		ev.Err = err.Error()
		return nil, ev, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	auth(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		ev.Err = err.Error()
		return nil, ev, err
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	ev.Header = httpx.Redact(resp.Header)
	body, err := httpx.ReadCapped(resp.Body, maxJSON)
	ev.Body = redactJSON(body)
	if err != nil {
		ev.Err = err.Error()
		return nil, ev, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		se := &httpx.StatusError{Code: resp.StatusCode, WWWAuthenticate: resp.Header.Get("WWW-Authenticate"), Server: resp.Header.Get("Server")}
		ev.Err = fmt.Sprintf("content type %q, status %d", mt, resp.StatusCode)
		if resp.StatusCode/100 != 2 {
			return nil, ev, se
		}
		return nil, ev, fmt.Errorf("%w %q", httpx.ErrContentType, mt)
	}
	if resp.StatusCode/100 != 2 {
		ev.Err = fmt.Sprintf("status %d", resp.StatusCode)
		return body, ev, &httpx.StatusError{Code: resp.StatusCode, WWWAuthenticate: resp.Header.Get("WWW-Authenticate")}
	}
	return body, ev, nil
}

// redactJSON replaces the values of token members in a JSON body (first
// httpx.EvidenceBody bytes kept); a body that is not JSON is cut to its
// length.
func redactJSON(b []byte) string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Sprintf("[%d bytes, not JSON]", len(b))
	}
	for k := range m {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "token") && lk != "revoked_tokens" && !strings.HasSuffix(lk, "expires_in") && lk != "token_type" {
			m[k] = "[redacted]"
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	s := buf.String()
	if len(s) > httpx.EvidenceBody {
		s = s[:httpx.EvidenceBody]
	}
	return s
}
