package sso_test

import (
	"context"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"example.com/cutover/features"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/report"
	"example.com/cutover/harness/runner"
)

// leaks are the shapes of the secrets an SSO run handles: a JWT (its
// base64url JSON header), a base64 SAMLResponse (<samlp:…),
// a cookie or a token parameter with its value.
var leaks = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.|PHNhbWxw|IDPSESSION=[^\[;\s]|(access_token|refresh_token|code|SAMLResponse|j_password|password)=[^\[&\s"]{6,}`)

var attachment = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

// TestReportsHoldNoSecret runs the SSO checks on the healthy site and on
// sites whose failures print pages and forms (UCM's own login form, an
// assertion UCM refuses, a password the IdP refuses), writes every report
// and evidence file, and finds in none of them a password, a token, an
// assertion or a cookie value.
func TestReportsHoldNoSecret(t *testing.T) {
	for _, faults := range [][]string{nil, {"ucm-not-sso"}, {"idp-wrong-audience"}, {"idp-refuses-test-password"}} {
		name := strings.Join(append([]string{"healthy"}, faults...), "+")
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tg, err := embedded.Start(ctx, fakesite.Options{Faults: faults})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			dir := t.TempDir()
			run, err := runner.Run(ctx, runner.Options{Target: tg, FS: features.FS, Tags: "@sso", ReportDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if err := report.WriteEvidence(dir, run); err != nil {
				t.Fatal(err)
			}
			secrets := []string{tg.Site.SSO.Admin.Password}
			for _, u := range tg.Site.Users {
				secrets = append(secrets, u.Password)
			}
			files, seen := 0, false
			err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				raw, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				files++
				// cucumber.json carries the attachments base64-encoded.
				b := append([]byte{}, raw...)
				for _, m := range attachment.FindAllSubmatch(raw, -1) {
					if d, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
						b = append(append(b, '\n'), d...)
						seen = seen || strings.Contains(string(d), "step ucm sign-in")
					}
				}
				for _, s := range secrets {
					if s != "" && strings.Contains(string(b), s) {
						t.Errorf("%s holds a test password", p)
					}
				}
				if m := leaks.FindString(string(b)); m != "" {
					t.Errorf("%s holds a secret: %q", p, m)
				}
				return nil
			})
			if err != nil || files < 4 || !seen {
				t.Fatalf("walked %d report files (sign-in evidence decoded: %v): %v", files, seen, err)
			}
		})
	}
}
