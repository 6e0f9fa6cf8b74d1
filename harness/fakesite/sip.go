package fakesite

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/devcfg"
	"example.com/cutover/harness/target"
)

// The service kinds of SIP OAuth registration: UCM's SIP OAuth port
// (TLS) and MRA OAuth port (mutual TLS from Expressway-C), served by one
// registrar per node (harness/sipreg), the device configuration files on
// the TFTP HTTP port (harness/sipreg/devcfg), and a standard RFC 8898
// registrar.
const (
	KindSIPOAuth   = "sip-oauth"   // UCM SIP OAuth port, 5090 TLS
	KindSIPMRA     = "sip-mra"     // UCM SIP MRA OAuth port, 5091 mutual TLS
	KindDevCfg     = "devcfg"      // UCM TFTP over HTTP, 6970: <device>.cnf.xml
	KindSIPRFC8898 = "sip-rfc8898" // an RFC 8898 registrar (401 Bearer)
)

// SIPOAuthSettings is a UCM node's SIP OAuth registrar. Users, devices
// and the token key come from the site and the bundle; every field is a
// fault.
type SIPOAuthSettings struct {
	// ProfileWithoutOAuth: these devices' security profile lacks "Enable
	// OAuth Authentication" (403 port mismatch).
	ProfileWithoutOAuth []string `yaml:"profile_without_oauth,omitempty" json:"profile_without_oauth,omitempty"`
	// RemoveDevices: these devices do not exist on the node (404).
	RemoveDevices []string `yaml:"remove_devices,omitempty" json:"remove_devices,omitempty"`
	// AcceptAnyToken registers any non-empty token.
	AcceptAnyToken bool `yaml:"accept_any_token,omitempty" json:"accept_any_token,omitempty"`
	// AcceptExpiredTokens ignores exp.
	AcceptExpiredTokens bool `yaml:"accept_expired_tokens,omitempty" json:"accept_expired_tokens,omitempty"`
	// ForeignKey validates tokens with a key that is not the cluster's
	// (the node's OAuth keys out of step with the cluster).
	ForeignKey bool `yaml:"foreign_key,omitempty" json:"foreign_key,omitempty"`
	// WrongRealm challenges with this realm instead of ccmsipline.
	WrongRealm string `yaml:"wrong_realm,omitempty" json:"wrong_realm,omitempty"`
	// SkipChallenge registers a REGISTER without credentials.
	SkipChallenge bool `yaml:"skip_challenge,omitempty" json:"skip_challenge,omitempty"`
	// OnlyDigest challenges with Digest only.
	OnlyDigest bool `yaml:"only_digest,omitempty" json:"only_digest,omitempty"`
	// TLSBelow12 speaks only TLS 1.0 and 1.1 on the OAuth and MRA ports.
	TLSBelow12 bool `yaml:"tls_below_12,omitempty" json:"tls_below_12,omitempty"`
	// MaxExpires is the longest binding the node grants, in seconds
	// (UCM grants 120 s); a fault when it outlives the access tokens.
	MaxExpires int `yaml:"max_expires,omitempty" json:"max_expires,omitempty"`
	// OnlyUCMCredentials answers 400 to Bearer credentials without
	// token="…" (the RFC 6750 form).
	OnlyUCMCredentials bool `yaml:"only_ucm_credentials,omitempty" json:"only_ucm_credentials,omitempty"`
}

// SIPMRASettings is the node's MRA OAuth port (the same registrar as its
// OAuth port). Every field is a fault.
type SIPMRASettings struct {
	// UntrustedExpresswaySigner: the Expressway-C signer is not in the
	// node's trust store.
	UntrustedExpresswaySigner bool `yaml:"untrusted_expressway_signer,omitempty" json:"untrusted_expressway_signer,omitempty"`
	// AcceptAnyClientCertificate takes any client certificate.
	AcceptAnyClientCertificate bool `yaml:"accept_any_client_certificate,omitempty" json:"accept_any_client_certificate,omitempty"`
	// AcceptNoClientCertificate takes a TLS client that presents no
	// certificate (one-way TLS on the MRA port).
	AcceptNoClientCertificate bool `yaml:"accept_no_client_certificate,omitempty" json:"accept_no_client_certificate,omitempty"`
}

// DevCfgSettings is a node's TFTP HTTP service. The nodes, ports and
// devices come from the plan; every field is a fault.
type DevCfgSettings struct {
	// OAuthModeOff writes <sipOAuthMode>0 (cluster SIP OAuth never enabled).
	OAuthModeOff bool `yaml:"oauth_mode_off,omitempty" json:"oauth_mode_off,omitempty"`
	// OmitMRAOAuthPort leaves <sipMRAOAuthPort> out for these nodes.
	OmitMRAOAuthPort []string `yaml:"omit_mra_oauth_port,omitempty" json:"omit_mra_oauth_port,omitempty"`
	// RemoveDevices: no configuration file for these devices (404).
	RemoveDevices []string `yaml:"remove_devices,omitempty" json:"remove_devices,omitempty"`
}

// SIPRFC8898Settings is a standard registrar with RFC 8898 challenges.
type SIPRFC8898Settings struct {
	// AuthzServer is the authz_server of its challenges.
	AuthzServer string `yaml:"authz_server" json:"authz_server"`
	// OmitAuthzServer is a fault: challenges without authz_server.
	OmitAuthzServer bool `yaml:"omit_authz_server,omitempty" json:"omit_authz_server,omitempty"`
}

func sipKinds() []Kind {
	return []Kind{
		{
			Name: KindSIPOAuth, Transport: TLS,
			Settings: func() any { return &SIPOAuthSettings{} },
			Start: func(ctx context.Context, env *Env, svc *Service, addr string) (Running, error) {
				return startSIPPort(ctx, env, svc, addr, false)
			},
		},
		{
			Name: KindSIPMRA, Transport: MTLS,
			Settings: func() any { return &SIPMRASettings{} },
			Start: func(ctx context.Context, env *Env, svc *Service, addr string) (Running, error) {
				return startSIPPort(ctx, env, svc, addr, true)
			},
		},
		{
			Name: KindDevCfg, Transport: HTTP, Paths: []string{"/"},
			Settings: func() any { return &DevCfgSettings{} },
			Handler:  devcfgHandler,
		},
		{
			Name: KindSIPRFC8898, Transport: TLS,
			Settings: func() any { return &SIPRFC8898Settings{} },
			Start:    startRFC8898,
		},
	}
}

// sipNode is what one UCM node's SIP OAuth and MRA ports share: a single
// registrar, started once both ports' listeners are bound (the host's
// ports start one after the other).
type sipNode struct {
	mu        sync.Mutex
	oauth     net.Listener
	mra       net.Listener
	oauthSvc  *Service
	mraSvc    *Service
	srv       *sipreg.Server
	closeOnce sync.Once
	closeErr  error
}

func (n *sipNode) close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		var errs []error
		if n.srv != nil {
			errs = append(errs, n.srv.Close())
		} else {
			for _, ln := range []net.Listener{n.oauth, n.mra} {
				if ln != nil {
					errs = append(errs, ln.Close())
				}
			}
		}
		n.closeErr = errors.Join(errs...)
	})
	return n.closeErr
}

// sipPort is one started port of the node's registrar.
type sipPort struct {
	addr string
	node *sipNode
}

func (p *sipPort) Addr() string { return p.addr }
func (p *sipPort) Close() error { return p.node.close() }

func startSIPPort(ctx context.Context, env *Env, svc *Service, addr string, mra bool) (Running, error) {
	v, err := env.Shared("sip-node", func() (any, error) { return &sipNode{}, nil })
	if err != nil {
		return nil, err
	}
	n := v.(*sipNode)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if mra {
		n.mra, n.mraSvc = ln, svc
	} else {
		n.oauth, n.oauthSvc = ln, svc
	}
	// The registrar starts with the last of the host's SIP ports.
	wantMRA := slices.ContainsFunc(env.Host.Services, func(s *Service) bool { return s.Kind == KindSIPMRA })
	wantOAuth := slices.ContainsFunc(env.Host.Services, func(s *Service) bool { return s.Kind == KindSIPOAuth })
	if (wantMRA && n.mra == nil) || (wantOAuth && n.oauth == nil) {
		return &sipPort{addr: ln.Addr().String(), node: n}, nil
	}
	opts, err := ucmRegistrarOptions(env, n)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	if n.srv, err = sipreg.Start(ctx, opts...); err != nil {
		return nil, err
	}
	return &sipPort{addr: ln.Addr().String(), node: n}, nil
}

// ucmRegistrarOptions configures the node's registrar from the site: the
// users of the node's cluster and their devices, the node's certificate,
// the Expressway-C signer and names, and the cluster's token key.
func ucmRegistrarOptions(env *Env, n *sipNode) ([]sipreg.Option, error) {
	cert, err := env.ServerCert()
	if err != nil {
		return nil, err
	}
	site := env.Plan.Site
	cl, ok := site.ClusterOf(env.Host.Name)
	if !ok {
		return nil, fmt.Errorf("%w: %s serves SIP OAuth but is in no UCM cluster", ErrPlan, env.Host.Name)
	}
	s := &SIPOAuthSettings{}
	if n.oauthSvc != nil {
		s = n.oauthSvc.Settings.(*SIPOAuthSettings)
	}
	var users []sipreg.User
	for _, u := range site.Users {
		if u.HomeCluster != cl.Name {
			continue
		}
		su := sipreg.User{Name: u.Username}
		for _, d := range u.Devices {
			su.Devices = append(su.Devices, sipreg.Device{Name: d, SecurityProfile: "Cisco Unified Client Services Framework - Standard SIP Secure Profile"})
		}
		users = append(users, su)
	}
	validate, err := clusterValidator(env, cl.Name, s.ForeignKey)
	if err != nil {
		return nil, err
	}
	opts := []sipreg.Option{
		sipreg.WithHostname(env.Host.Name),
		sipreg.WithCertificate(cert),
		sipreg.WithUsers(users...),
		sipreg.WithTokenValidator(validate),
		sipreg.WithClock(env.Now),
	}
	if n.oauth != nil {
		opts = append(opts, sipreg.WithListener(n.oauth))
	} else {
		// Only an MRA port: the registrar's OAuth port is bound and unused.
		opts = append(opts, sipreg.WithAddr("127.0.0.1:0"))
	}
	if n.mra != nil {
		roots, err := env.Roots()
		if err != nil {
			return nil, err
		}
		opts = append(opts, sipreg.WithMRA("", roots, site.Expressway.Core...), sipreg.WithMRAListener(n.mra))
		m := n.mraSvc.Settings.(*SIPMRASettings)
		if m.UntrustedExpresswaySigner {
			opts = append(opts, sipreg.UntrustedExpresswaySigner())
		}
		if m.AcceptAnyClientCertificate {
			opts = append(opts, sipreg.AcceptAnyClientCertificate())
		}
		if m.AcceptNoClientCertificate {
			opts = append(opts, sipreg.AcceptNoClientCertificate())
		}
	}
	if len(s.ProfileWithoutOAuth) > 0 {
		opts = append(opts, sipreg.ProfileWithoutOAuth(s.ProfileWithoutOAuth...))
	}
	if len(s.RemoveDevices) > 0 {
		opts = append(opts, sipreg.RemoveDevice(s.RemoveDevices...))
	}
	if s.AcceptAnyToken {
		opts = append(opts, sipreg.AcceptAnyToken())
	}
	if s.AcceptExpiredTokens {
		opts = append(opts, sipreg.AcceptExpiredTokens())
	}
	if s.WrongRealm != "" {
		opts = append(opts, sipreg.WrongRealm(s.WrongRealm))
	}
	if s.SkipChallenge {
		opts = append(opts, sipreg.SkipChallenge())
	}
	if s.OnlyDigest {
		opts = append(opts, sipreg.OfferOnlyDigest())
	}
	if s.TLSBelow12 {
		opts = append(opts, sipreg.OfferTLSBelow12())
	}
	if s.MaxExpires > 0 {
		opts = append(opts, sipreg.WithExpires(time.Duration(s.MaxExpires)*time.Second))
	}
	if s.OnlyUCMCredentials {
		opts = append(opts, sipreg.OnRegister(onlyUCMCredentials))
	}
	return opts, nil
}

// onlyUCMCredentials refuses Bearer credentials in the RFC 6750 form
// (Bearer <token>), as a parser that knows only UCM's token="…" would.
func onlyUCMCredentials(req *sip.Request) *sip.Response {
	for _, name := range []string{"Proxy-Authorization", "Authorization"} {
		for _, h := range req.GetHeaders(name) {
			v := strings.ToLower(strings.TrimSpace(h.Value()))
			if strings.HasPrefix(v, "bearer ") && !strings.Contains(v, "token=") {
				return sip.NewResponseFromRequest(req, 400, "Bad Request", nil)
			}
		}
	}
	return nil
}

// JWTKeyName is the bundle name of a UCM cluster's token signing key
// (a KeySpec of purpose jwt-signing): every node of the cluster signs and
// validates with it.
func JWTKeyName(cluster string) string { return cluster + "/" + PurposeJWTSigning }

// clusterValidator checks a UCM access token as every node of the cluster
// does: a JWS signed with the cluster's jwt-signing key, sub the user,
// exp after the site's now, token_type "access" when given. foreign uses
// a key that is not the cluster's (a fault).
func clusterValidator(env *Env, cluster string, foreign bool) (sipreg.TokenValidator, error) {
	cred, err := env.Credential(JWTKeyName(cluster))
	if err != nil {
		return nil, fmt.Errorf("%w: cluster %s: %v", ErrPlan, cluster, err)
	}
	key := cred.PrivateKey
	if foreign {
		other, err := env.Bundle.Credential(env.Host.Name)
		if err != nil {
			return nil, err
		}
		key = other.PrivateKey
	}
	pub, algs, err := verifyKey(key)
	if err != nil {
		return nil, fmt.Errorf("cluster %s token key: %w", cluster, err)
	}
	return func(tok string, now time.Time) (string, error) {
		return ValidateUCMToken(tok, pub, algs, now)
	}, nil
}

func verifyKey(k any) (any, []jose.SignatureAlgorithm, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return &k.PublicKey, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512}, nil
	case *rsa.PrivateKey:
		return &k.PublicKey, []jose.SignatureAlgorithm{jose.RS256, jose.PS256}, nil
	}
	return nil, nil, fmt.Errorf("unsupported key type %T", k)
}

// ucmClaims are the claims a node reads from an access token.
type ucmClaims struct {
	jwt.Claims
	TokenType string `json:"token_type,omitempty"`
}

// ValidateUCMToken verifies tok (a compact JWS) with pub and returns its
// user. Errors wrap sipreg.ErrTokenSignature (malformed, tampered or
// foreign) or sipreg.ErrTokenExpired (the user is returned with it).
func ValidateUCMToken(tok string, pub any, algs []jose.SignatureAlgorithm, now time.Time) (string, error) {
	if len(tok) > 16<<10 || strings.Count(tok, ".") != 2 {
		return "", fmt.Errorf("%w: not a compact JWS", sipreg.ErrTokenSignature)
	}
	t, err := jwt.ParseSigned(tok, algs)
	if err != nil {
		return "", fmt.Errorf("%w: %v", sipreg.ErrTokenSignature, err)
	}
	var c ucmClaims
	if err := t.Claims(pub, &c); err != nil {
		return "", fmt.Errorf("%w: %v", sipreg.ErrTokenSignature, err)
	}
	if c.Subject == "" || c.Expiry == nil {
		return "", fmt.Errorf("%w: no sub or exp", sipreg.ErrTokenSignature)
	}
	if c.TokenType != "" && c.TokenType != "access" {
		return "", fmt.Errorf("%w: a %s token, not an access token", sipreg.ErrTokenSignature, c.TokenType)
	}
	if !now.Before(c.Expiry.Time()) {
		return c.Subject, fmt.Errorf("%w: at %s", sipreg.ErrTokenExpired, c.Expiry.Time().UTC().Format(time.RFC3339))
	}
	return c.Subject, nil
}

// devcfgHandler serves the device configuration files of the node's
// cluster: one member per node in the cluster's order, each with the
// ports the node's SIP services listen on in the plan.
func devcfgHandler(env *Env, svc *Service) (Handler, error) {
	s := svc.Settings.(*DevCfgSettings)
	site := env.Plan.Site
	cl, ok := site.ClusterOf(env.Host.Name)
	if !ok {
		return nil, fmt.Errorf("%w: %s serves device configuration but is in no UCM cluster", ErrPlan, env.Host.Name)
	}
	var nodes []devcfg.Node
	for _, name := range cl.Nodes {
		n := devcfg.Node{Name: name, Description: name, SIPPort: 5060, SecuredPort: 5061}
		if h, err := env.Plan.Host(name); err == nil {
			for _, hs := range h.Services {
				switch hs.Kind {
				case KindSIPOAuth:
					n.OAuthPort = hs.Port
				case KindSIPMRA:
					n.MRAOAuthPort = hs.Port
				}
			}
		}
		if n.OAuthPort == 0 {
			n.OAuthPort = target.DefaultSIPOAuthPort
		}
		if n.MRAOAuthPort == 0 {
			n.MRAOAuthPort = target.DefaultSIPMRAOAuthPort
		}
		nodes = append(nodes, n)
	}
	var devices []string
	for _, u := range site.Users {
		if u.HomeCluster != cl.Name {
			continue
		}
		for _, d := range u.Devices {
			if !slices.ContainsFunc(s.RemoveDevices, func(r string) bool { return strings.EqualFold(r, d) }) {
				devices = append(devices, d)
			}
		}
	}
	opts := []devcfg.Option{devcfg.WithNodes(nodes...)}
	if len(devices) > 0 {
		opts = append(opts, devcfg.WithDevices(devices...))
	}
	if s.OAuthModeOff {
		opts = append(opts, devcfg.OAuthModeOff())
	}
	if len(s.OmitMRAOAuthPort) > 0 {
		opts = append(opts, devcfg.OmitMRAOAuthPort(s.OmitMRAOAuthPort...))
	}
	return devcfg.New(opts...)
}

// startRFC8898 serves a standard registrar challenging with RFC 8898
// Bearer (realm = the host's domain, scope sip:register, the settings'
// authz_server). It holds no token key: no token is valid there.
func startRFC8898(ctx context.Context, env *Env, svc *Service, addr string) (Running, error) {
	s := svc.Settings.(*SIPRFC8898Settings)
	cert, err := env.ServerCert()
	if err != nil {
		return nil, err
	}
	var users []sipreg.User
	for _, u := range env.Plan.Site.Users {
		users = append(users, sipreg.User{Name: u.Username})
	}
	opts := []sipreg.Option{
		sipreg.WithProfile(sipreg.ProfileRFC8898),
		sipreg.WithHostname(env.Host.Name),
		sipreg.WithCertificate(cert),
		sipreg.WithAddr(addr),
		sipreg.WithUsers(users...),
		sipreg.WithClock(env.Now),
	}
	if s.AuthzServer != "" {
		opts = append(opts, sipreg.WithAuthzServer(s.AuthzServer))
	}
	if s.OmitAuthzServer {
		opts = append(opts, sipreg.OmitAuthzServer())
	}
	return sipreg.Start(ctx, opts...)
}

// wireSIP gives the site the Expressway-C client certificate of the
// bundle, for the MRA check: the tls-client key whose certificate names
// an Expressway-C node of the site.
func wireSIP(p *Plan, b *Bundle) error {
	for _, k := range p.Keys {
		if k.Purpose != PurposeTLSClient {
			continue
		}
		if !slices.ContainsFunc(k.Cert.Names, func(n string) bool { return slices.Contains(p.Site.Expressway.Core, n) }) {
			continue
		}
		c, err := b.Credential(k.Name)
		if err != nil {
			return err
		}
		p.Site.SIP.MRACert = &c
		return nil
	}
	return nil
}
