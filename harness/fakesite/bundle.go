package fakesite

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/pki"
)

// Bundle is a Plan with its key material: everything a host needs to
// start, in-process or in a container (it marshals to JSON).
type Bundle struct {
	Plan *Plan `json:"plan"`
	// CAPEM is the site's trusted test CA; RoguePEM a CA nobody trusts.
	CAPEM    []byte `json:"ca_pem"`
	RoguePEM []byte `json:"rogue_pem"`
	// Certs holds every credential: host names for TLS server
	// certificates, KeySpec names for the rest.
	Certs map[string]PEMPair `json:"certs"`
}

// PEMPair is a certificate chain and its private key.
type PEMPair struct {
	Cert []byte `json:"cert"`
	Key  []byte `json:"key"`
}

// ExpiringIn is how far ahead a CertSpec "expiring" certificate expires:
// within the 30-day warning window the checks report.
const ExpiringIn = 10 * 24 * time.Hour

// NewBundle makes the site's test CA (and a rogue one nobody trusts) and
// issues every host with a TLS service its server certificate, and every
// KeySpec its credential, as the plan says, against the site's clock.
func NewBundle(p *Plan, reg *Registry) (*Bundle, error) {
	ca, err := pki.NewCA("cutover test CA")
	if err != nil {
		return nil, fmt.Errorf("fakesite: %w", err)
	}
	rogue, err := pki.NewCA("rogue CA (not trusted)")
	if err != nil {
		return nil, fmt.Errorf("fakesite: %w", err)
	}
	b := &Bundle{Plan: p, CAPEM: ca.CertPEM, RoguePEM: rogue.CertPEM, Certs: map[string]PEMPair{}}
	now := clock.New(p.ClockOffset).Now()
	issue := func(name string, spec CertSpec, extra ...pki.LeafOption) error {
		issuer := ca
		if spec.Issuer == IssuerRogue {
			issuer = rogue
		}
		opts := append([]pki.LeafOption{pki.WithDNSNames(spec.Names...), pki.WithSRVNames(spec.SRVNames...)}, extra...)
		switch spec.Validity {
		case ValidityExpired:
			opts = append(opts, pki.WithValidity(now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
		case ValidityExpiring:
			opts = append(opts, pki.WithValidity(now.Add(-time.Hour), now.Add(ExpiringIn)))
		default:
			opts = append(opts, pki.WithValidity(now.Add(-time.Hour), now.Add(365*24*time.Hour)))
		}
		cert, err := issuer.Issue(name, opts...)
		if err != nil {
			return fmt.Errorf("fakesite: certificate for %s: %w", name, err)
		}
		pair, err := encodePair(cert)
		if err != nil {
			return err
		}
		b.Certs[name] = pair
		return nil
	}
	for _, h := range p.Hosts {
		if !needsCert(reg, h) {
			continue
		}
		spec := CertSpec{Names: h.CertNames()}
		if h.Cert != nil {
			spec.SRVNames, spec.Issuer, spec.Validity = h.Cert.SRVNames, h.Cert.Issuer, h.Cert.Validity
		}
		if err := issue(h.Name, spec); err != nil {
			return nil, err
		}
	}
	for _, k := range p.Keys {
		var extra []pki.LeafOption
		if k.Purpose == PurposeSAMLSigning || k.Purpose == PurposeJWTSigning {
			// XML signatures (RSA-SHA256) and UCM's RS256 tokens are RSA.
			key, err := signingKey(k.Name)
			if err != nil {
				return nil, fmt.Errorf("fakesite: key %s: %w", k.Name, err)
			}
			extra = append(extra, pki.WithKey(key))
		}
		if err := issue(k.Name, k.Cert, extra...); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// signingKeys holds the process's RSA signing keys by KeySpec name. A
// 2048-bit key costs tens to hundreds of milliseconds of CPU, and the
// selftest starts a hundred sites with the same key names: each name gets
// one key, generated on first use, and each name its own, so a fault that
// brings another key (a second IdP's, a node's own) still has a key
// nothing else holds. Every site's certificates for them are still issued
// afresh by that site's own CA.
var signingKeys sync.Map // name → func() (*rsa.PrivateKey, error)

func signingKey(name string) (*rsa.PrivateKey, error) {
	f, _ := signingKeys.LoadOrStore(name, sync.OnceValues(func() (*rsa.PrivateKey, error) {
		return rsa.GenerateKey(rand.Reader, 2048)
	}))
	return f.(func() (*rsa.PrivateKey, error))()
}

// needsCert reports whether a host runs a service over TLS.
func needsCert(reg *Registry, h *Host) bool {
	if h.Cert != nil {
		return true
	}
	for _, s := range h.Services {
		if t := reg.transport(s); t == TLS || t == MTLS {
			return true
		}
	}
	return false
}

func encodePair(c tls.Certificate) (PEMPair, error) {
	var p PEMPair
	for _, der := range c.Certificate {
		p.Cert = append(p.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return p, fmt.Errorf("fakesite: marshal key: %w", err)
	}
	p.Key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	return p, nil
}

// Roots is the pool of the site's trusted CA.
func (b *Bundle) Roots() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CAPEM) {
		return nil, errors.New("fakesite: bundle has no CA certificate")
	}
	return pool, nil
}

// Credential returns the certificate and key named name (a host name for
// its TLS server certificate, or a KeySpec name).
func (b *Bundle) Credential(name string) (tls.Certificate, error) {
	p, ok := b.Certs[name]
	if !ok {
		return tls.Certificate{}, fmt.Errorf("fakesite: no credential %q in the bundle", name)
	}
	c, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		return c, fmt.Errorf("fakesite: credential %s: %w", name, err)
	}
	if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
		return c, fmt.Errorf("fakesite: credential %s: %w", name, err)
	}
	return c, nil
}

// Marshal encodes the bundle for a container.
func (b *Bundle) Marshal() ([]byte, error) { return json.Marshal(b) }

// UnmarshalBundle decodes what Marshal wrote; reg types the services'
// settings.
func UnmarshalBundle(data []byte, reg *Registry) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("fakesite: bundle: %w", err)
	}
	if b.Plan == nil || b.Plan.Site == nil {
		return nil, errors.New("fakesite: bundle has no plan")
	}
	for _, h := range b.Plan.Hosts {
		for _, s := range h.Services {
			if err := s.bind(reg); err != nil {
				return nil, fmt.Errorf("fakesite: bundle: host %s: %w", h.Name, err)
			}
		}
	}
	return &b, nil
}

// serviceJSON is a Service on the wire: the settings as raw JSON until the
// kind types them.
type serviceJSON struct {
	Kind      string          `json:"kind"`
	Port      int             `json:"port"`
	Transport Transport       `json:"transport,omitempty"`
	Settings  json.RawMessage `json:"settings,omitempty"`
}

// MarshalJSON writes the service with its settings.
func (s *Service) MarshalJSON() ([]byte, error) {
	j := serviceJSON{Kind: s.Kind, Port: s.Port, Transport: s.Transport}
	if s.Settings != nil {
		raw, err := json.Marshal(s.Settings)
		if err != nil {
			return nil, err
		}
		j.Settings = raw
	}
	return json.Marshal(j)
}

// UnmarshalJSON keeps the settings raw; UnmarshalBundle types them.
func (s *Service) UnmarshalJSON(b []byte) error {
	var j serviceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Service{Kind: j.Kind, Port: j.Port, Transport: j.Transport}
	if len(j.Settings) > 0 {
		s.Settings = j.Settings
	}
	return nil
}

// bind types raw JSON settings by the service's kind.
func (s *Service) bind(reg *Registry) error {
	k, ok := reg.Lookup(s.Kind)
	if !ok {
		return fmt.Errorf("unknown service kind %q", s.Kind)
	}
	raw, isRaw := s.Settings.(json.RawMessage)
	if k.Settings == nil {
		if isRaw {
			return fmt.Errorf("%s service has settings, its kind takes none", s.Kind)
		}
		return nil
	}
	v := k.Settings()
	if isRaw {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s settings: %w", s.Kind, err)
		}
	}
	s.Settings = v
	return nil
}
