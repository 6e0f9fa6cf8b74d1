package sso_test

import (
	"net/url"
	"strings"
	"testing"

	"example.com/cutover/harness/sso"
)

func TestParseForms(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:18480/module.php/core/loginuserpass.php?AuthState=x")
	for _, tc := range []struct {
		name             string
		page             string
		action, password string
		autoPost         bool
		alert            string
	}{
		{"our IdP", idpLoginPage, "http://127.0.0.1:18480/idp/login", "password", false, "Incorrect username or password."},
		{"SAML POST page", samlPostPage, "https://ucm1.example.com:8443/ssosp/saml/SSO/alias/ucm1.example.com", "", true, ""},
		{"SimpleSAMLphp", sspLoginPage, "http://127.0.0.1:18480/module.php/core/loginuserpass.php?", "password", false, "Incorrect username or password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forms, err := sso.ParseForms([]byte(tc.page), base)
			if err != nil || len(forms) != 1 {
				t.Fatalf("%d forms, %v", len(forms), err)
			}
			f := forms[0]
			if f.Action != tc.action || f.Password() != tc.password || f.AutoPost() != tc.autoPost || f.Alert != tc.alert || f.Method != "POST" {
				t.Fatalf("form %+v", f)
			}
		})
	}
}

func TestParseFormsLimits(t *testing.T) {
	many := strings.Repeat("<form></form>", 65)
	if _, err := sso.ParseForms([]byte(many), nil); err == nil {
		t.Error("65 forms accepted")
	}
	fields := "<form>" + strings.Repeat("<input name=a>", 257) + "</form>"
	if _, err := sso.ParseForms([]byte(fields), nil); err == nil {
		t.Error("257 fields accepted")
	}
	if _, err := sso.ParseForms([]byte(`<form action="data:text/html,x"></form>`), nil); err == nil {
		t.Error("data: action accepted")
	}
	if _, err := sso.ParseForms(make([]byte, sso.MaxPage+1), nil); err == nil {
		t.Error("oversized page accepted")
	}
}

func TestRedactor(t *testing.T) {
	var r sso.Redactor
	r.Add("hunter22", "ab")
	u, _ := url.Parse("cutover-app://cb?code=c0de1234&state=s#access_token=t0ken5678&expires_in=60")
	got := r.URL(u)
	for _, bad := range []string{"c0de1234", "t0ken5678"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q in %q", bad, got)
		}
	}
	if !strings.Contains(got, "state=s") || !strings.Contains(got, "expires_in=60") {
		t.Errorf("non-secret parameters lost: %q", got)
	}
	if out := r.String("password hunter22 ab"); out != "password [redacted] ab" {
		t.Errorf("String = %q", out)
	}
}
