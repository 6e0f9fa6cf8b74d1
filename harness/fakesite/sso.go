package fakesite

import (
	"crypto/rsa"
	"fmt"
	"os"
	"slices"
	"time"

	"example.com/cutover/harness/idp"
	"example.com/cutover/harness/oauth"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/webexid"
)

// The service kinds of SSO reuse and OAuth: the organisation's SAML IdP,
// UCM's SSO service provider and OAuth server beside UDS on each node, and
// the Webex identity service (a second SP on the same IdP).
const (
	KindIdP     = "idp"      // a SAML 2.0 IdP at /idp/ (harness/idp)
	KindOAuth   = "oauth"    // UCM /ssosp/: SAML SP, OAuth authorize, token, revoke (harness/oauth)
	KindWebexID = "webex-id" // the Webex identity service at /idb/ (harness/webexid)
)

// ssoKinds are the service kinds of SSO reuse and OAuth.
func ssoKinds() []Kind { return []Kind{idpKind(), oauthKind(), webexIDKind()} }

// IdPSettings is the organisation's SAML IdP (harness/idp). Users come
// from the site; the service providers it trusts are the plan's oauth and
// webex-id services that name this host. The fields after Key are faults.
type IdPSettings struct {
	// Key names the saml-signing KeySpec that signs assertions and is
	// published in the metadata. Default: "<host>/saml-signing".
	Key string `yaml:"key,omitempty" json:"key,omitempty"`

	WrongAudience    bool `yaml:"wrong_audience,omitempty" json:"wrong_audience,omitempty"`
	WrongRecipient   bool `yaml:"wrong_recipient,omitempty" json:"wrong_recipient,omitempty"`
	Unsigned         bool `yaml:"unsigned,omitempty" json:"unsigned,omitempty"`
	SignedByOtherKey bool `yaml:"signed_by_other_key,omitempty" json:"signed_by_other_key,omitempty"`
	WrongNameID      bool `yaml:"wrong_name_id,omitempty" json:"wrong_name_id,omitempty"`
	NoSessionReuse   bool `yaml:"no_session_reuse,omitempty" json:"no_session_reuse,omitempty"`
	// RefuseUsers refuses the test users' own passwords (the IdP knows
	// other ones).
	RefuseUsers bool `yaml:"refuse_users,omitempty" json:"refuse_users,omitempty"`
	// ClockSkew shifts every time in the IdP's responses.
	ClockSkew target.Duration `yaml:"clock_skew,omitempty" json:"clock_skew,omitempty"`
	// Status answers the paths under each prefix with the status code.
	Status map[string]int `yaml:"status,omitempty" json:"status,omitempty"`
}

// OAuthSettings is one UCM node's SSO service provider and OAuth
// authorization server (harness/oauth), mounted beside UDS: UDS on the
// same host accepts its access tokens. The nodes of one cluster sign with
// the cluster's jwt-signing key, so each accepts the others' tokens.
type OAuthSettings struct {
	// IdP names the IdP host UCM trusts for SAML SSO.
	IdP string `yaml:"idp" json:"idp"`
	// IdPMetadataFile, when set, is the metadata of an IdP outside the
	// plan (a real one: SimpleSAMLphp in the interop script), read where
	// the fake runs; IdP then only names the host.
	IdPMetadataFile string `yaml:"idp_metadata_file,omitempty" json:"idp_metadata_file,omitempty"`
	// Key names the jwt-signing KeySpec of the node's cluster. Default:
	// "<cluster name>/jwt-signing".
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// AccessLifetime and RefreshLifetime are the OAuth enterprise
	// parameters; default 60 min and 60 days.
	AccessLifetime  target.Duration `yaml:"access_lifetime,omitempty" json:"access_lifetime,omitempty"`
	RefreshLifetime target.Duration `yaml:"refresh_lifetime,omitempty" json:"refresh_lifetime,omitempty"`
	// Encrypt issues signed-then-encrypted tokens (5-part JWE).
	Encrypt bool `yaml:"encrypt,omitempty" json:"encrypt,omitempty"`

	// The fields below are faults.
	// SSODisabled: UCM is not enabled for SAML SSO (its own login form).
	SSODisabled bool `yaml:"sso_disabled,omitempty" json:"sso_disabled,omitempty"`
	// RefreshDisabled: "OAuth with Refresh Login Flow" Disabled.
	RefreshDisabled  bool `yaml:"refresh_disabled,omitempty" json:"refresh_disabled,omitempty"`
	IgnoreRevocation bool `yaml:"ignore_revocation,omitempty" json:"ignore_revocation,omitempty"`
	AcceptExpired    bool `yaml:"accept_expired,omitempty" json:"accept_expired,omitempty"`
	// RegenerateKeys regenerates the node's keys after every issue.
	RegenerateKeys bool `yaml:"regenerate_keys,omitempty" json:"regenerate_keys,omitempty"`
	// UncheckedLifetimes takes the lifetimes above as they are, outside
	// the product's ranges too.
	UncheckedLifetimes bool           `yaml:"unchecked_lifetimes,omitempty" json:"unchecked_lifetimes,omitempty"`
	Status             map[string]int `yaml:"status,omitempty" json:"status,omitempty"`
}

// WebexIDSettings is the Webex identity service (harness/webexid): the
// organisation's SSO on the IdP it names. The fields after Org are faults.
type WebexIDSettings struct {
	// IdP names the IdP host the Webex organisation's SSO uses.
	IdP string `yaml:"idp" json:"idp"`
	// IdPMetadataFile is as in OAuthSettings.
	IdPMetadataFile string `yaml:"idp_metadata_file,omitempty" json:"idp_metadata_file,omitempty"`
	// Org is the organisation ID in the SP's URLs; default example-org.
	Org string `yaml:"org,omitempty" json:"org,omitempty"`

	// SSODisabled: the organisation has no SSO (Webex's own password).
	SSODisabled bool           `yaml:"sso_disabled,omitempty" json:"sso_disabled,omitempty"`
	Status      map[string]int `yaml:"status,omitempty" json:"status,omitempty"`
}

// baseURL is https://host[:port] of the first service of kind on host.
func (p *Plan) baseURL(host, kind string) (string, error) {
	h, err := p.Host(host)
	if err != nil {
		return "", err
	}
	for _, s := range h.Services {
		if s.Kind == kind {
			if s.Port == 443 {
				return "https://" + h.Name, nil
			}
			return fmt.Sprintf("https://%s:%d", h.Name, s.Port), nil
		}
	}
	return "", fmt.Errorf("%w: host %s has no %s service", ErrPlan, host, kind)
}

// rsaCredential loads an RSA credential of the bundle.
func rsaCredential(env *Env, name string) (*rsa.PrivateKey, *idp.SigningKey, error) {
	c, err := env.Credential(name)
	if err != nil {
		return nil, nil, err
	}
	k, ok := c.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: key %s is %T, want RSA (purpose saml-signing or jwt-signing)", ErrPlan, name, c.PrivateKey)
	}
	return k, &idp.SigningKey{Key: k, Cert: c.Leaf}, nil
}

func idpKeyName(host string, s *IdPSettings) string {
	if s.Key != "" {
		return s.Key
	}
	return host + "/" + PurposeSAMLSigning
}

// idpMetadata is the metadata of the IdP on host, as its service
// providers hold it: built from the IdP's signing key in the bundle, so an
// SP in another process knows it without asking.
func idpMetadata(env *Env, host string) ([]byte, error) {
	var set *IdPSettings
	if h, err := env.Plan.Host(host); err == nil {
		for _, s := range h.Services {
			if s.Kind == KindIdP {
				set, _ = s.Settings.(*IdPSettings)
			}
		}
	}
	if set == nil {
		return nil, fmt.Errorf("%w: no idp service on host %q", ErrPlan, host)
	}
	base, err := env.Plan.baseURL(host, KindIdP)
	if err != nil {
		return nil, err
	}
	_, sk, err := rsaCredential(env, idpKeyName(host, set))
	if err != nil {
		return nil, err
	}
	s, err := idp.New(idp.WithBaseURL(base), idp.WithSigningKey(*sk), idp.WithClock(env.Now))
	if err != nil {
		return nil, err
	}
	return s.Metadata()
}

// trustedIdP is the metadata of the IdP an SP trusts: from file when
// given, else built from the plan's IdP on host.
func trustedIdP(env *Env, host, file string) ([]byte, error) {
	if file == "" {
		return idpMetadata(env, host)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: idp_metadata_file: %v", ErrPlan, err)
	}
	return b, nil
}

func idpKind() Kind {
	return Kind{
		Name: KindIdP, Transport: TLS, Paths: []string{idp.PathPrefix},
		Settings: func() any { return &IdPSettings{} },
		Handler: func(env *Env, svc *Service) (Handler, error) {
			set := svc.Settings.(*IdPSettings)
			base, err := env.Plan.baseURL(env.Host.Name, KindIdP)
			if err != nil {
				return nil, err
			}
			_, sk, err := rsaCredential(env, idpKeyName(env.Host.Name, set))
			if err != nil {
				return nil, err
			}
			opts := []idp.Option{idp.WithBaseURL(base), idp.WithSigningKey(*sk), idp.WithClock(env.Now)}
			for _, u := range env.Plan.Site.Users {
				pw := u.Password
				if set.RefuseUsers {
					pw = "not-" + pw
				}
				opts = append(opts, idp.WithUsers(idp.User{Username: env.Plan.Site.IdPLogin(u), Email: u.Email, Password: pw}))
			}
			for _, hs := range env.Plan.Services(KindOAuth) {
				o := hs.Service.Settings.(*OAuthSettings)
				if o.IdP != env.Host.Name || o.SSODisabled {
					continue
				}
				ucmBase, err := env.Plan.baseURL(hs.Host.Name, KindOAuth)
				if err != nil {
					return nil, err
				}
				opts = append(opts, idp.WithServiceProvider(idp.SPMetadata(hs.Host.Name, ucmBase+oauth.ACSPrefix+hs.Host.Name)))
			}
			for _, hs := range env.Plan.Services(KindWebexID) {
				wx := hs.Service.Settings.(*WebexIDSettings)
				if wx.IdP != env.Host.Name || wx.SSODisabled {
					continue
				}
				ws, err := webexServer(env, hs.Host.Name, wx, webexid.SSODisabled())
				if err != nil {
					return nil, err
				}
				opts = append(opts, idp.WithServiceProvider(ws.SPMetadata()))
			}
			if set.WrongAudience {
				opts = append(opts, idp.WrongAudience())
			}
			if set.WrongRecipient {
				opts = append(opts, idp.WrongRecipient())
			}
			if set.Unsigned {
				opts = append(opts, idp.UnsignedAssertion())
			}
			if set.SignedByOtherKey {
				opts = append(opts, idp.SignedByOtherKey())
			}
			if set.WrongNameID {
				opts = append(opts, idp.WrongNameID())
			}
			if set.NoSessionReuse {
				opts = append(opts, idp.NoSessionReuse())
			}
			if set.ClockSkew != 0 {
				opts = append(opts, idp.ClockSkew(set.ClockSkew.D()))
			}
			for prefix, code := range set.Status {
				opts = append(opts, idp.WithStatus(prefix, code))
			}
			return idp.New(opts...)
		},
	}
}

// sharedOAuth is the key under which a host's services share its UCM
// OAuth server (Env.Shared): UDS validates the tokens it issues.
const sharedOAuth = "oauth.Server"

// oauthNode is the UCM OAuth server of env's host, made once per host;
// nil when the host has no oauth service.
func oauthNode(env *Env) (*oauth.Server, error) {
	var svc *Service
	for _, s := range env.Host.Services {
		if s.Kind == KindOAuth {
			svc = s
		}
	}
	if svc == nil {
		return nil, nil
	}
	v, err := env.Shared(sharedOAuth, func() (any, error) { return newOAuthNode(env, svc) })
	if err != nil {
		return nil, err
	}
	return v.(*oauth.Server), nil
}

func newOAuthNode(env *Env, svc *Service) (*oauth.Server, error) {
	set, ok := svc.Settings.(*OAuthSettings)
	if !ok {
		return nil, fmt.Errorf("%w: host %s: oauth settings %T", ErrPlan, env.Host.Name, svc.Settings)
	}
	site := env.Plan.Site
	keyName := set.Key
	if keyName == "" {
		for _, cl := range site.UCM {
			if slices.Contains(cl.Nodes, env.Host.Name) {
				keyName = cl.Name + "/" + PurposeJWTSigning
			}
		}
	}
	if keyName == "" {
		return nil, fmt.Errorf("%w: host %s: an oauth service on a host of no UCM cluster needs settings.key", ErrPlan, env.Host.Name)
	}
	key, _, err := rsaCredential(env, keyName)
	if err != nil {
		return nil, err
	}
	cl, err := oauth.NewClusterWithKey(key)
	if err != nil {
		return nil, err
	}
	base, err := env.Plan.baseURL(env.Host.Name, KindOAuth)
	if err != nil {
		return nil, err
	}
	opts := []oauth.Option{oauth.WithBaseURL(base), oauth.WithCluster(cl), oauth.WithClock(env.Now)}
	for _, u := range site.Users {
		opts = append(opts, oauth.WithUsers(oauth.User{Username: u.Username, Email: u.Email, Password: u.Password}))
	}
	if a := site.SSO.Admin; a.Username != "" {
		opts = append(opts, oauth.WithAdmin(oauth.Admin{Username: a.Username, Password: a.Password}))
	}
	if app := site.SSO.App(); app.ID != oauth.DefaultClientID || app.RedirectURI != oauth.DefaultRedirectURI {
		opts = append(opts, oauth.WithApps(app))
	}
	access, refresh := set.AccessLifetime.D(), set.RefreshLifetime.D()
	if set.UncheckedLifetimes {
		opts = append(opts, oauth.OutOfRangeLifetimes(orDefault(access, oauth.DefaultAccessLifetime), orDefault(refresh, oauth.DefaultRefreshLifetime)))
	} else {
		if access != 0 {
			opts = append(opts, oauth.WithAccessLifetime(access))
		}
		if refresh != 0 {
			opts = append(opts, oauth.WithRefreshLifetime(refresh))
		}
	}
	if set.SSODisabled {
		opts = append(opts, oauth.SSODisabled())
	} else {
		md, err := trustedIdP(env, set.IdP, set.IdPMetadataFile)
		if err != nil {
			return nil, fmt.Errorf("host %s: the IdP UCM trusts: %w", env.Host.Name, err)
		}
		opts = append(opts, oauth.WithIdPMetadata(md))
	}
	if set.Encrypt {
		opts = append(opts, oauth.EncryptTokens())
	}
	if set.RefreshDisabled {
		opts = append(opts, oauth.RefreshLoginFlowDisabled())
	}
	if set.IgnoreRevocation {
		opts = append(opts, oauth.IgnoreRevocation())
	}
	if set.AcceptExpired {
		opts = append(opts, oauth.AcceptExpiredTokens())
	}
	if set.RegenerateKeys {
		opts = append(opts, oauth.RegenerateKeysAfterIssue())
	}
	for prefix, code := range set.Status {
		opts = append(opts, oauth.WithStatus(prefix, code))
	}
	return oauth.New(opts...)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// clusterKey names the jwt-signing key of cluster cl: the setting of its
// publisher's oauth service, else "<cluster>/jwt-signing"; "" when the
// publisher has no oauth service.
func (p *Plan) clusterKey(cl target.Cluster) string {
	h, err := p.Host(cl.Publisher())
	if err != nil {
		return ""
	}
	for _, s := range h.Services {
		if o, ok := s.Settings.(*OAuthSettings); ok && s.Kind == KindOAuth {
			if o.Key != "" {
				return o.Key
			}
			return cl.Name + "/" + PurposeJWTSigning
		}
	}
	return ""
}

// ucmTokenValidator accepts the access tokens of every UCM cluster of the
// plan, by the clusters' keys (what Expressway-C learns from UCM); nil
// when no cluster runs OAuth.
func ucmTokenValidator(env *Env) (oauth.ValidatorFunc, error) {
	var vs []oauth.ValidatorFunc
	for _, cl := range env.Plan.Site.UCM {
		name := env.Plan.clusterKey(cl)
		if name == "" {
			continue
		}
		key, _, err := rsaCredential(env, name)
		if err != nil {
			return nil, err
		}
		c, err := oauth.NewClusterWithKey(key)
		if err != nil {
			return nil, err
		}
		s, err := oauth.New(oauth.WithCluster(c), oauth.SSODisabled(), oauth.WithClock(env.Now))
		if err != nil {
			return nil, err
		}
		vs = append(vs, s.Validator())
	}
	if len(vs) == 0 {
		return nil, nil
	}
	return func(tok string, now time.Time) (string, error) {
		var err error
		for _, v := range vs {
			var user string
			if user, err = v(tok, now); err == nil {
				return user, nil
			}
		}
		return "", err
	}, nil
}

func oauthKind() Kind {
	return Kind{
		Name: KindOAuth, Transport: TLS, Paths: []string{oauth.PathPrefix},
		Settings: func() any { return &OAuthSettings{} },
		Handler: func(env *Env, _ *Service) (Handler, error) {
			s, err := oauthNode(env)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}

func webexServer(env *Env, host string, set *WebexIDSettings, extra ...webexid.Option) (*webexid.Server, error) {
	base, err := env.Plan.baseURL(host, KindWebexID)
	if err != nil {
		return nil, err
	}
	opts := []webexid.Option{webexid.WithBaseURL(base), webexid.WithClock(env.Now)}
	if set.Org != "" {
		opts = append(opts, webexid.WithOrgID(set.Org))
	}
	return webexid.New(append(opts, extra...)...)
}

func webexIDKind() Kind {
	return Kind{
		Name: KindWebexID, Transport: TLS, Paths: []string{webexid.PathPrefix},
		Settings: func() any { return &WebexIDSettings{} },
		Handler: func(env *Env, svc *Service) (Handler, error) {
			set := svc.Settings.(*WebexIDSettings)
			var opts []webexid.Option
			for _, u := range env.Plan.Site.Users {
				opts = append(opts, webexid.WithUsers(webexid.User{Email: u.Email, Password: u.Password}))
			}
			if set.SSODisabled {
				opts = append(opts, webexid.SSODisabled())
			} else {
				md, err := trustedIdP(env, set.IdP, set.IdPMetadataFile)
				if err != nil {
					return nil, fmt.Errorf("the IdP of the Webex organisation: %w", err)
				}
				opts = append(opts, webexid.WithIdPMetadata(md))
			}
			for prefix, code := range set.Status {
				opts = append(opts, webexid.WithStatus(prefix, code))
			}
			return webexServer(env, env.Host.Name, set, opts...)
		},
	}
}
