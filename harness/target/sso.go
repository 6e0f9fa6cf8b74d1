package target

import (
	"net/url"
	"strings"

	"example.com/cutover/harness/oauth"
)

// SSO is the site's part for SSO reuse and OAuth (the sso capability). Its YAML key is
// "sso"; unknown keys are an error.
type SSO struct {
	// IdP is the base URL of the organisation's SAML IdP
	// (https://idp.example.com): its login pages start with it, and the
	// test users' passwords go only there. Required for the SSO checks.
	IdP string `yaml:"idp,omitempty"`
	// Metadata is the URL of the IdP's SAML metadata
	// (https://idp.example.com/idp/metadata). Empty: the metadata checks
	// are not applicable.
	Metadata string `yaml:"metadata,omitempty"`
	// Login names the IdP login form's fields.
	Login SSOLogin `yaml:"login,omitempty"`
	// Webex is the URL that starts a Webex sign-in for an email
	// (…/idb/login; the suite appends ?email=). Empty: the Webex half of
	// the journey is skipped (a lab cannot drive the real Webex sign-in).
	Webex string `yaml:"webex,omitempty"`
	// ClientID and RedirectURI are the OAuth client registration the
	// checks present to UCM. Default: the fakes' stand-ins
	// (oauth.DefaultClientID, oauth.DefaultRedirectURI).
	ClientID    string `yaml:"client_id,omitempty"`
	RedirectURI string `yaml:"redirect_uri,omitempty"`
	// WaitForExpiry is how long a check may wait, on a real site, for the
	// access tokens to expire (SSO-05, SSO-13: the token lifetime plus a
	// minute). Default 0: those checks are not applicable on a real site;
	// on the fakes the site clock moves instead.
	WaitForExpiry Duration `yaml:"wait_for_expiry,omitempty" json:",omitempty"`
	// Admin is the UCM application administrator for the revoke API
	// (SSO-06). Empty: the revoke check is not applicable.
	Admin SSOAdmin `yaml:"admin,omitempty"`
}

// SSOLogin names the IdP login form's fields (empty: the first text or
// email input and the password input) and what the user types there.
type SSOLogin struct {
	UsernameField string `yaml:"username_field,omitempty"`
	PasswordField string `yaml:"password_field,omitempty"`
	// Username is what the users type as their name: "username"
	// (default) or "email"; a user's idp_username overrides it.
	Username string `yaml:"username,omitempty"`
}

// SSOAdmin is an administrator's account; the password is read from
// PasswordEnv at load time, never from the file.
type SSOAdmin struct {
	Username    string `yaml:"username,omitempty"`
	PasswordEnv string `yaml:"password_env,omitempty"`
	Password    string `yaml:"-"`
}

// SSOUser holds a test user's fields for SSO reuse and OAuth (the sso capability),
// inline in the user's entry.
type SSOUser struct {
	// IdPUsername is what the user types at the IdP when it is neither
	// the username nor the email (a UPN, DOMAIN\user).
	IdPUsername string `yaml:"idp_username,omitempty"`
}

// App is the OAuth client registration the checks present.
func (x *SSO) App() oauth.App {
	app := oauth.DefaultApp()
	if x.ClientID != "" {
		app.ID = x.ClientID
	}
	if x.RedirectURI != "" {
		app.RedirectURI = x.RedirectURI
	}
	return app
}

// IdPLogin is what the user types at the site's IdP.
func (s *Site) IdPLogin(u User) string { return u.idpName(s.SSO.Login.Username) }

func (u User) idpName(mode string) string {
	switch {
	case u.IdPUsername != "":
		return u.IdPUsername
	case mode == "email":
		return u.Email
	}
	return u.Username
}

func (x *SSO) hosts() []string {
	var out []string
	for _, raw := range []string{x.IdP, x.Metadata, x.Webex} {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			out = append(out, strings.ToLower(u.Hostname()))
		}
	}
	return out
}

func (x *SSO) domains() []string { return nil }

func (x *SSO) validate(v *validator) {
	for _, f := range []struct{ path, raw string }{{"sso.idp", x.IdP}, {"sso.metadata", x.Metadata}, {"sso.webex", x.Webex}} {
		if f.raw == "" {
			continue
		}
		u, err := url.Parse(f.raw)
		switch {
		case err != nil:
			v.fail(f.path, "want an https URL, got %q", f.raw)
		case u.Scheme != "https" || u.Hostname() == "":
			v.fail(f.path, "want an https URL with a host name (credentials go only over TLS), got %q", f.raw)
		case u.User != nil:
			v.fail(f.path, "must not hold credentials")
		default:
			v.domain(f.path, u.Hostname(), true)
		}
	}
	switch x.Login.Username {
	case "", "username", "email":
	default:
		v.fail("sso.login.username", "want \"username\" or \"email\", got %q", x.Login.Username)
	}
	if x.RedirectURI != "" {
		if u, err := url.Parse(x.RedirectURI); err != nil || u.Scheme == "" {
			v.fail("sso.redirect_uri", "want an absolute URI (the app's callback), got %q", x.RedirectURI)
		}
	}
	a := &x.Admin
	switch {
	case a.Username == "" && a.PasswordEnv != "":
		v.fail("sso.admin.username", "required with sso.admin.password_env")
	case a.Username == "" || v.served:
		// No admin (the revoke check is not applicable), or the fakes make
		// the password.
	case a.PasswordEnv == "":
		v.fail("sso.admin.password_env", "required: the name of the environment variable holding the administrator's password (never the password itself)")
	default:
		pw, ok := v.env(a.PasswordEnv)
		switch {
		case !ok:
			v.fail("sso.admin.password_env", "environment variable %s is not set", a.PasswordEnv)
		case pw == "":
			v.fail("sso.admin.password_env", "environment variable %s is empty", a.PasswordEnv)
		}
		a.Password = pw
	}
}
