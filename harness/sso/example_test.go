package sso_test

import (
	"fmt"
	"net/url"

	"example.com/cutover/harness/sso"
)

// The form driver finds the login form of any IdP page and the agent
// fills the fields the target file names.
func ExampleParseForms() {
	base, _ := url.Parse("http://127.0.0.1:18480/module.php/core/loginuserpass.php?AuthState=x")
	forms, _ := sso.ParseForms([]byte(sspLoginPage), base)
	f := forms[0]
	fmt.Println(f.Method, f.Action, f.Password(), f.Has("AuthState"), f.Alert)
	// Output: POST http://127.0.0.1:18480/module.php/core/loginuserpass.php? password true Incorrect username or password
}

func ExampleRedactor() {
	var r sso.Redactor
	r.Add("Wonderland-1")
	u, _ := url.Parse("cutover-app://oauth/callback#access_token=eyJhbGciOi.x.y&token_type=Bearer&state=cutover")
	fmt.Println(r.URL(u))
	fmt.Println(r.String("login as alice / Wonderland-1"))
	// Output:
	// cutover-app://oauth/callback#access_token=[redacted]&token_type=Bearer&state=cutover
	// login as alice / [redacted]
}
