package xmpps2s

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// AgentPath is where a federation test agent takes probes.
const AgentPath = "/xfed/probe"

// AgentResult is a Probe's Result as a federation test agent reports it:
// what a check judges, without the certificates themselves.
type AgentResult struct {
	Domain     string `json:"domain"`
	Connected  string `json:"connected,omitempty"` // the candidate, "" when none connected
	Mode       string `json:"mode,omitempty"`      // the candidate's: "direct-tls" or "starttls"
	TLS        string `json:"tls"`
	TLSVersion string `json:"tls_version,omitempty"`
	ALPN       string `json:"alpn,omitempty"`
	Identity   string `json:"identity,omitempty"`
	CertError  string `json:"cert_error,omitempty"`
	Auth       string `json:"auth,omitempty"`
	// ExternalError says why EXTERNAL was not used when dialback was.
	ExternalError string `json:"external_error,omitempty"`
	// Reply is the answer's body, ReplyError its stanza error condition.
	Reply      string `json:"reply,omitempty"`
	ReplyFrom  string `json:"reply_from,omitempty"`
	ReplyError string `json:"reply_error,omitempty"`
	// StreamError is the condition of the stream error that ended the
	// stream.
	StreamError string   `json:"stream_error,omitempty"`
	Decided     string   `json:"decided,omitempty"`
	Evidence    []string `json:"evidence,omitempty"`
	Elapsed     string   `json:"elapsed,omitempty"`
	// Error is the verdict ("" when the reply came back) and Kind the
	// sentinel it wraps ("policy", "stanza-error", "connect", …).
	Error string `json:"error,omitempty"`
	Kind  string `json:"kind,omitempty"`
}

// String is the evidence as text.
func (r *AgentResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "domain %s connected %q tls %s %s alpn %q identity %q auth %q\n", r.Domain, r.Connected, r.TLS, r.TLSVersion, r.ALPN, r.Identity, r.Auth)
	if r.CertError != "" {
		b.WriteString("certificate: " + r.CertError + "\n")
	}
	if r.ExternalError != "" {
		b.WriteString("external: " + r.ExternalError + "\n")
	}
	for _, l := range r.Evidence {
		b.WriteString(l + "\n")
	}
	if r.Decided != "" {
		b.WriteString("decided by: " + r.Decided + "\n")
	}
	if r.Error != "" {
		b.WriteString("verdict: " + r.Error + "\n")
	}
	return b.String()
}

// errorKinds name the sentinels an AgentResult reports, most specific
// first.
var errorKinds = []struct {
	name string
	err  error
}{
	{"policy", ErrPolicy}, {"service-absent", ErrServiceAbsent}, {"resolve", ErrResolve},
	{"no-address", ErrNoAddress}, {"connect", ErrConnect}, {"certificate", ErrCertificate},
	{"tls", ErrTLS}, {"no-tls", ErrNoTLS}, {"auth", ErrAuth}, {"stanza-error", ErrStanzaError},
	{"stream-error", ErrStreamError}, {"no-reply", ErrNoReply}, {"timeout", ErrTimeout},
	{"closed", ErrClosed}, {"malformed", ErrMalformed}, {"too-large", ErrTooLarge},
	{"protocol", ErrProtocol}, {"jid", ErrJID},
}

// ErrorKind names the sentinel err wraps, "" for nil, "other" for none.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// NewAgentResult reports r and err.
func NewAgentResult(r *Result, err error) *AgentResult {
	a := &AgentResult{Kind: ErrorKind(err)}
	if err != nil {
		a.Error = err.Error()
	}
	if r == nil {
		return a
	}
	a.Domain, a.TLS, a.TLSVersion, a.ALPN = r.Domain, r.TLS, r.TLSVersion, r.ALPN
	if r.Connected != nil {
		a.Connected, a.Mode = r.Connected.String(), r.Connected.Mode()
	}
	if r.Identity.Form != "" {
		a.Identity = r.Identity.String()
	}
	a.CertError, a.Auth, a.ExternalError = r.CertError, r.Auth, r.ExternalError
	if r.Reply != nil {
		a.Reply, a.ReplyFrom = r.Reply.Body, r.Reply.From
		if r.Reply.Error != nil {
			a.ReplyError = r.Reply.Error.Condition
		}
	}
	if r.StreamError != nil {
		a.StreamError = r.StreamError.Condition
	}
	a.Decided, a.Evidence, a.Elapsed = r.Decided, r.Evidence, r.Elapsed.Round(time.Millisecond).String()
	return a
}

// AgentHandler serves a federation test agent: POST AgentPath with a JSON
// ProbeMessage runs s.Probe within timeout and answers the AgentResult as
// JSON (200 whatever the probe's verdict; 400 for a malformed request).
// The agent is what a check drives to play a partner domain: the site's
// answers come back to s, which serves that domain.
func AgentHandler(s *Server, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != AgentPath {
			http.Error(w, "POST "+AgentPath+" only", http.StatusNotFound)
			return
		}
		var p ProbeMessage
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			http.Error(w, "xmpps2s: agent: "+err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		res, err := s.Probe(ctx, p)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(NewAgentResult(res, err))
	})
}

// Agent drives a federation test agent at Base (https://host:port).
type Agent struct {
	Base string
	HTTP *http.Client
}

// Probe asks the agent to send p and reports what came of it. The error
// is about reaching the agent, never the probe's verdict (AgentResult.Error).
func (a Agent) Probe(ctx context.Context, p ProbeMessage) (*AgentResult, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("xmpps2s: agent: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(a.Base, "/")+AgentPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("xmpps2s: agent: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("xmpps2s: agent %s: %w", a.Base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("xmpps2s: agent %s: %w", a.Base, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("xmpps2s: agent %s: %s: %s", a.Base, resp.Status, strings.TrimSpace(string(data)))
	}
	var out AgentResult
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("xmpps2s: agent %s: %w", a.Base, err)
	}
	return &out, nil
}
