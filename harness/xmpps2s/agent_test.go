package xmpps2s

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAgent drives the partner through its agent: a delivered probe, a
// refused one, and malformed requests.
func TestAgent(t *testing.T) {
	p := trustedPair(t, []Option{WithBlockList("example.org")}, nil)
	srv := httptest.NewServer(AgentHandler(p.partner, 5*time.Second))
	t.Cleanup(srv.Close)
	a := Agent{Base: srv.URL, HTTP: srv.Client()}
	for _, tc := range []struct {
		name     string
		msg      ProbeMessage
		wantKind string
		wantAuth string
	}{
		{"delivered", ProbeMessage{From: "bob@example.net", To: "alice@example.com", Body: "hi"}, "", "external"},
		{"groupchat echoed", ProbeMessage{From: "bob@example.net", To: "alice@example.com", Type: "groupchat"}, "", "external"},
		{"not served", ProbeMessage{From: "bob@example.org", To: "alice@example.com"}, "jid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := a.Probe(testCtx(t), tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tc.wantKind || r.Auth != tc.wantAuth {
				t.Fatalf("want kind %q auth %q, got kind %q auth %q:\n%s", tc.wantKind, tc.wantAuth, r.Kind, r.Auth, r)
			}
			if tc.wantKind == "" && (!strings.HasPrefix(r.Reply, EchoPrefix) || r.Mode != r.TLS || r.Connected == "") {
				t.Fatalf("want an echo over the connected candidate, got %+v", r)
			}
		})
	}
	for _, body := range []string{"{", `{"From":"bob@example.net","Nope":1}`} {
		resp, err := srv.Client().Post(srv.URL+AgentPath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: want 400, got %s", body, resp.Status)
		}
	}
	if _, err := (Agent{Base: srv.URL + "/nowhere", HTTP: srv.Client()}).Probe(testCtx(t), ProbeMessage{}); err == nil {
		t.Errorf("want an error from a path the agent does not serve")
	}
}

func TestErrorKind(t *testing.T) {
	for err, want := range map[error]string{nil: "", ErrPolicy: "policy", &StanzaError{Condition: "x"}: "stanza-error", errString0{}: "other"} {
		if got := ErrorKind(err); got != want {
			t.Errorf("%v: want %q, got %q", err, want, got)
		}
	}
}

type errString0 struct{}

func (errString0) Error() string { return "plain" }
