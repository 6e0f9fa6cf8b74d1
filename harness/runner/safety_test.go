package runner_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

// echoUDS is UDS that echoes the credential it was sent, in every form a
// careless server might: the header itself, the password URL-escaped in
// another header, and the password JSON- and Go-quoted in the body.
type echoUDS struct{ fakesite.Handler }

func (e echoUDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := r.Header.Get("Authorization"); h != "" {
		w.Header().Set("X-Echo", h)
		if _, pw, ok := r.BasicAuth(); ok {
			w.Header().Set("X-Echo-Query", url.QueryEscape(pw))
			j, _ := json.Marshal(pw)
			defer fmt.Fprintf(w, "<!-- you sent %s and %q and %s -->", j, pw, base64.StdEncoding.EncodeToString([]byte(pw)))
		}
	}
	e.Handler.ServeHTTP(w, r)
}

// TestEchoedSecretsLeaveNoTrace: a server that echoes the test user's
// credential leaves no form of it in any output file, base64 attachments
// of cucumber.json decoded.
func TestEchoedSecretsLeaveNoTrace(t *testing.T) {
	uds, _ := fakesite.Kinds().Lookup(fakesite.KindUDS)
	echo := uds
	echo.Name = "uds-echo"
	echo.Handler = func(env *fakesite.Env, svc *fakesite.Service) (fakesite.Handler, error) {
		h, err := uds.Handler(env, svc)
		return echoUDS{h}, err
	}
	reg, err := fakesite.Kinds().With(echo)
	if err != nil {
		t.Fatal(err)
	}
	p, err := fakesite.Example()
	if err != nil {
		t.Fatal(err)
	}
	// A password with characters that change under every encoding.
	p.Site.Users[0].Password = `pw"with spaces/&+é`
	for _, hs := range p.Services(fakesite.KindUDS) {
		hs.Service.Kind = echo.Name
	}
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{Plan: p, Kinds: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	dir := t.TempDir()
	if _, err := runner.Run(ctx, runner.Options{Target: tg, FS: features.FS, ReportDir: dir}); err != nil {
		t.Fatal(err)
	}
	u := tg.Site.Users[0]
	forms := target.SecretForms(u.Username, u.Password)
	// Every file of the report directory, the evidence bundle included.
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if len(files) < 3 {
		t.Fatalf("want the report files in %s, got %v", dir, files)
	}
	b64 := regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{string(b)}
		for _, m := range b64.FindAllStringSubmatch(string(b), -1) {
			if d, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
				texts = append(texts, string(d))
			}
		}
		for _, text := range texts {
			for _, form := range forms {
				if strings.Contains(text, form) {
					t.Errorf("%s holds the password in the form %q", filepath.Base(f), form)
				}
			}
		}
	}
}

// TestThousandsOfSRVTargets: an SRV answer with 1,000 targets (63 KB over
// UDP, no truncation) is followed only as far as limits.max_targets, and
// the run ends well inside its deadline.
func TestThousandsOfSRVTargets(t *testing.T) {
	p, err := fakesite.Example()
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.DNS(fakesite.ZoneInside)
	if err != nil {
		t.Fatal(err)
	}
	d.NoTruncate = true
	for i := 0; i < 1000; i++ {
		d.Records = append(d.Records, fmt.Sprintf("_cisco-uds._tcp.example.com. 300 IN SRV %d 50 8443 ucm3.example.com.", 100+i))
	}
	p.Site.Limits.RunTimeout = target.Duration(60e9)
	ctx := context.Background()
	tg, err := embedded.Start(ctx, fakesite.Options{Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	run, err := runner.Run(ctx, runner.Options{Target: tg, FS: features.FS, Tags: "@DISC-01 or @DISC-05 or @DISC-20"})
	if err != nil {
		t.Fatal(err)
	}
	resolved := -1
	for _, c := range run.Checks {
		for _, ev := range c.Evidence {
			if c.ID == "DISC-01" && ev.Name == "target resolution" {
				resolved = strings.Count(ev.Data, "\n")
			}
		}
	}
	if resolved < 1 || resolved > 20 {
		t.Errorf("DISC-01 resolved %d targets, want 1 to limits.max_targets (20)", resolved)
	}
	for _, c := range run.Checks {
		if strings.Contains(c.Error, "deadline") {
			t.Errorf("%s ran into the deadline: %s", c.ID, c.Error)
		}
	}
}
