package expressway

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func stubValidator(tok string, _ time.Time) (string, error) {
	if tok == "good.jwt.token" {
		return "alice", nil
	}
	return "", errors.New("bad token")
}

func TestBearerOnEdgeConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []Option
		token    string
		wantCode int
	}{
		{"valid token, refresh on", []Option{WithTokenValidator(stubValidator)}, "good.jwt.token", 200},
		{"bad token", []Option{WithTokenValidator(stubValidator)}, "bad.jwt.token", 401},
		{"refresh off", []Option{WithTokenValidator(stubValidator), OAuthRefreshOff()}, "good.jwt.token", 401},
		{"no validator", nil, "good.jwt.token", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.opts...)
			_, ev, err := f.c.GetEdgeConfigBearer(ctx(t), base, "example.com", tc.token)
			if ev.Status != tc.wantCode {
				t.Fatalf("status %d, want %d (%v)", ev.Status, tc.wantCode, err)
			}
			if strings.Contains(ev.String(), tc.token) {
				t.Error("token in evidence")
			}
		})
	}
}

func TestOAuthUpstream(t *testing.T) {
	var got []string
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		w.WriteHeader(http.StatusNoContent)
	})
	seg := "/" + EncodeDomain("example.com")
	for _, tc := range []struct {
		name, method, path string
		opts               []Option
		wantCode           int
		wantUp             string
		wantLoc            string
	}{
		{name: "authorize forwarded", method: "GET", path: seg + "/authorize?response_type=code&client_id=C&redirect_uri=app%3A%2F%2Fcb",
			wantCode: 204, wantUp: "GET /ssosp/oauth/authorize?response_type=code&client_id=C&redirect_uri=app%3A%2F%2Fcb"},
		{name: "token forwarded", method: "POST", path: seg + "/token", wantCode: 204, wantUp: "POST /ssosp/oauth/token?"},
		{name: "code refused when off", method: "GET", path: seg + "/authorize?response_type=code&redirect_uri=app%3A%2F%2Fcb&state=s",
			opts: []Option{OAuthRefreshOff()}, wantCode: 302, wantLoc: "app://cb?error=unsupported_response_type"},
		{name: "implicit forwarded when off", method: "GET", path: seg + "/authorize?response_type=token", opts: []Option{OAuthRefreshOff()},
			wantCode: 204, wantUp: "GET /ssosp/oauth/authorize?response_type=token"},
		{name: "token refused when off", method: "POST", path: seg + "/token", opts: []Option{OAuthRefreshOff()}, wantCode: 400},
		{name: "unknown domain", method: "GET", path: "/" + EncodeDomain("other.example") + "/authorize", wantCode: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			f := start(t, append([]Option{WithOAuthUpstream(up)}, tc.opts...)...)
			hc := clientTo(f.ca, f.srv.Addr())
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequestWithContext(ctx(t), tc.method, base+tc.path, nil)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantCode)
			}
			if tc.wantUp != "" && (len(got) != 1 || got[0] != tc.wantUp) {
				t.Errorf("upstream saw %q, want %q", got, tc.wantUp)
			}
			if tc.wantLoc != "" && !strings.HasPrefix(resp.Header.Get("Location"), tc.wantLoc) {
				t.Errorf("Location %q", resp.Header.Get("Location"))
			}
		})
	}
}
