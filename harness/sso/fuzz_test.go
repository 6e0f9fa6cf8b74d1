package sso_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"example.com/cutover/harness/sso"
)

// FuzzParseForms: login and SAML pages come from the site. Invariants: no
// panic; errors wrap ErrHTML; every form action is an absolute http(s)
// URL; field counts stay within the caps.
func FuzzParseForms(f *testing.F) {
	for _, s := range []string{
		idpLoginPage, samlPostPage, sspLoginPage,
		`<form action="javascript:alert(1)"><input type=password name=p></form>`,
		`<form><form action="/inner"><input name=a></form></form>`,
		`<select name=s><option>a<option selected value=b>B</select>`,
	} {
		f.Add([]byte(s))
	}
	base, _ := url.Parse("https://idp.example.com/idp/sso?SAMLRequest=x")
	f.Fuzz(func(t *testing.T, b []byte) {
		forms, err := sso.ParseForms(b, base)
		if err != nil {
			if !errors.Is(err, sso.ErrHTML) {
				t.Fatalf("error %v does not wrap ErrHTML", err)
			}
			return
		}
		for _, fm := range forms {
			u, err := url.Parse(fm.Action)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				t.Fatalf("action %q", fm.Action)
			}
			if len(fm.Fields) > 256 || (fm.Method != "GET" && fm.Method != "POST") {
				t.Fatalf("form %+v", fm)
			}
		}
	})
}

// FuzzRedactURL: whatever the URL, the value of a secret parameter never
// survives redaction. Invariants: no panic (Redactor.URL returns no error);
// no secret parameter's value in the output.
func FuzzRedactURL(f *testing.F) {
	f.Add("cutover-app://cb#access_token=abcd1234&expires_in=3600", "abcd1234")
	f.Add("https://app.example.com/cb?code=zyxw9876&state=s", "zyxw9876")
	f.Add("https://sp.example.com/acs?SAMLResponse=PHNhbWw%2B", "PHNhbWw+")
	f.Fuzz(func(t *testing.T, raw, secret string) {
		if len(secret) < 4 || strings.ContainsAny(secret, "&#=%+ ") {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		for _, key := range []string{"access_token", "code", "SAMLResponse", "password"} {
			c := *u
			q := c.Query()
			q.Set(key, secret)
			c.RawQuery = q.Encode()
			var r sso.Redactor
			// The parameter's value must be gone; the secret's digits may
			// still occur elsewhere by chance (an escaped byte in the
			// fragment, say), which is no leak.
			out := r.URL(&c)
			back, err := url.Parse(out)
			if err != nil {
				t.Fatalf("redacted URL %q does not parse: %v", out, err)
			}
			if v := back.Query().Get(key); v == secret || strings.Contains(back.RawQuery, key+"="+url.QueryEscape(secret)) {
				t.Fatalf("%s value survived: %s", key, out)
			}
		}
	})
}

const idpLoginPage = `<!DOCTYPE html><html><body><h1>Sign in</h1><p class="error" role="alert">Incorrect username or password.</p>
<form method="post" action="/idp/login"><input type="hidden" name="request" value="SAMLRequest=abc">
<label>Username <input type="text" name="username"></label><label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button></form></body></html>`

const samlPostPage = `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Continue</title></head><body>
<form method="post" action="https://ucm1.example.com:8443/ssosp/saml/SSO/alias/ucm1.example.com" id="SAMLResponseForm">
<input type="hidden" name="SAMLResponse" value="PHNhbWxwOlJlc3BvbnNlLz4=" /><input type="hidden" name="RelayState" value="abc" />
<input id="SAMLSubmitButton" type="submit" value="Continue" /></form>
<script>document.getElementById('SAMLResponseForm').submit();</script></body></html>`

// sspLoginPage is shaped like SimpleSAMLphp 1.19's loginuserpass page.
const sspLoginPage = `<!DOCTYPE html><html lang="en"><head><title>Enter your username and password</title></head><body>
<div id="content"><div class="message-box error"><h3>Incorrect username or password</h3></div>
<form action="?" method="post" name="f"><table><tr><td><label for="username">Username</label></td>
<td><input id="username" type="text" tabindex="2" name="username" value="alice"></td></tr>
<tr><td><label for="password">Password</label></td><td><input id="password" type="password" tabindex="3" name="password"></td></tr></table>
<button class="btn" onclick="this.value='Processing...';this.disabled=true;this.form.submit();return true;" tabindex="6" type="submit">Login</button>
<input type="hidden" name="AuthState" value="_0123456789abcdef:http://127.0.0.1/saml2/idp/SSOService.php">
</form></div></body></html>`
