package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/sso"
	"example.com/cutover/harness/sso/ssotest"
)

// A UCM without SSO signs alice in with its own form; the access token is
// a 3-part JWT the validator accepts until it expires.
func Example() {
	now := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ucm, _ := oauth.New(oauth.SSODisabled(), oauth.WithClock(clock), oauth.WithAccessLifetime(30*time.Minute),
		oauth.WithUsers(oauth.User{Username: "alice", Password: "pw-alice"}))
	site, _ := ssotest.Start(map[string]http.Handler{"ucm1.example.com": ucm})
	defer site.Close()
	j, _ := sso.NewJourney(sso.Config{HTTP: site.Client(), UCM: "https://ucm1.example.com:8443", Clock: clock,
		Logins: []sso.Login{{UsernameField: oauth.UsernameField, PasswordField: oauth.PasswordField, Username: "alice", Password: "pw-alice"}}})
	st, err := j.SignInUCM(context.Background())
	tok := j.Tokens()
	info, _ := oauth.Inspect(tok.Access.Reveal())
	fmt.Println(st.Prompts, j.Grant(), info.Parts, info.Subject, info.Lifetime(), tok.Access, err)

	user, err := ucm.Validator()(tok.Access.Reveal(), now.Add(31*time.Minute))
	fmt.Printf("%q %v\n", user, errors.Is(err, oauth.ErrExpired))
	// Output:
	// 1 code 3 alice 30m0s [redacted] <nil>
	// "" true
}
