package idp

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"

	"example.com/cutover/harness/httpx"
)

const (
	// MaxMetadata caps a metadata document (256 KiB): real IdP metadata is
	// a few KiB, federation aggregates are not what a site hands us.
	MaxMetadata = 256 << 10
	// WarnWindow is how long before expiry a signing certificate is
	// reported as expiring.
	WarnWindow = 30 * 24 * time.Hour

	// ErrMetadata is wrapped by every metadata parse error.
	ErrMetadata = httpx.Sentinel("idp: bad metadata")
	// ErrCertExpired is returned by CheckCertificates for a certificate
	// outside its validity window.
	ErrCertExpired = httpx.Sentinel("idp: signing certificate expired or not yet valid")
	// ErrCertExpiring is returned by CheckCertificates for a certificate
	// that expires within the warning window.
	ErrCertExpiring = httpx.Sentinel("idp: signing certificate expires soon")
)

// Metadata is what the checks need from an entity's SAML metadata.
type Metadata struct {
	EntityID string
	// SSORedirect and SSOPost are the IdP's SingleSignOnService locations
	// for the HTTP-Redirect and HTTP-POST bindings ("" if absent).
	SSORedirect, SSOPost string
	// ACS are an SP's HTTP-POST AssertionConsumerService locations.
	ACS []string
	// SigningCerts are the certificates of KeyDescriptors with use
	// "signing" or no use.
	SigningCerts []*x509.Certificate
	ValidUntil   time.Time
	// Descriptor is the full parse, for handing to crewjam/saml.
	Descriptor *saml.EntityDescriptor
}

// ParseMetadata parses an EntityDescriptor document from a site (a URL
// or a file the target names). It refuses documents over MaxMetadata,
// documents that do not survive an XML round trip (the mattermost
// validator, against namespace tricks), other roots, and entities with
// neither an IdP nor an SP role. Every error wraps ErrMetadata.
func ParseMetadata(b []byte) (Metadata, error) {
	ed, err := parseEntity(b)
	if err != nil {
		return Metadata{}, err
	}
	md := Metadata{EntityID: ed.EntityID, ValidUntil: ed.ValidUntil, Descriptor: ed}
	for _, r := range ed.IDPSSODescriptors {
		for _, e := range r.SingleSignOnServices {
			switch {
			case e.Binding == saml.HTTPRedirectBinding && md.SSORedirect == "":
				md.SSORedirect = e.Location
			case e.Binding == saml.HTTPPostBinding && md.SSOPost == "":
				md.SSOPost = e.Location
			}
		}
		certs, err := keyCerts(r.KeyDescriptors)
		if err != nil {
			return Metadata{}, err
		}
		md.SigningCerts = append(md.SigningCerts, certs...)
	}
	for _, r := range ed.SPSSODescriptors {
		for _, e := range r.AssertionConsumerServices {
			if e.Binding == saml.HTTPPostBinding {
				md.ACS = append(md.ACS, e.Location)
			}
		}
	}
	return md, nil
}

func parseEntity(b []byte) (*saml.EntityDescriptor, error) {
	if len(b) > MaxMetadata {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrMetadata, len(b), MaxMetadata)
	}
	if err := xrv.Validate(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(b, &ed); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	if strings.TrimSpace(ed.EntityID) == "" {
		return nil, fmt.Errorf("%w: no entityID", ErrMetadata)
	}
	if len(ed.IDPSSODescriptors) == 0 && len(ed.SPSSODescriptors) == 0 {
		return nil, fmt.Errorf("%w: %s has no IDPSSODescriptor or SPSSODescriptor", ErrMetadata, ed.EntityID)
	}
	return &ed, nil
}

func keyCerts(kds []saml.KeyDescriptor) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, kd := range kds {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
			der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(xc.Data), ""))
			if err != nil {
				return nil, fmt.Errorf("%w: signing certificate: %v", ErrMetadata, err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("%w: signing certificate: %v", ErrMetadata, err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// CertStatus is one signing certificate's standing at a moment.
type CertStatus struct {
	Subject  string
	NotAfter time.Time
	// Left is NotAfter minus now (negative once expired).
	Left time.Duration
	Err  error // nil, ErrCertExpired or ErrCertExpiring
}

// CheckCertificates rates every signing certificate of md at now: expired
// (or not yet valid) wraps ErrCertExpired, expiring within warn wraps
// ErrCertExpiring. The error returned is the worst one (expired beats
// expiring); metadata without any signing certificate is ErrMetadata.
func CheckCertificates(md Metadata, now time.Time, warn time.Duration) ([]CertStatus, error) {
	if len(md.SigningCerts) == 0 {
		return nil, fmt.Errorf("%w: %s publishes no signing certificate", ErrMetadata, md.EntityID)
	}
	var out []CertStatus
	var worst error
	for _, c := range md.SigningCerts {
		st := CertStatus{Subject: c.Subject.String(), NotAfter: c.NotAfter, Left: c.NotAfter.Sub(now)}
		switch {
		case now.Before(c.NotBefore) || !now.Before(c.NotAfter):
			st.Err = fmt.Errorf("%w: %q valid %s to %s, now %s", ErrCertExpired, st.Subject,
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
			worst = st.Err
		case st.Left < warn:
			st.Err = fmt.Errorf("%w: %q expires %s, in %d days (warning window %d days)", ErrCertExpiring, st.Subject,
				c.NotAfter.UTC().Format(time.RFC3339), int(st.Left.Hours()/24), int(warn.Hours()/24))
			if worst == nil {
				worst = st.Err
			}
		}
		out = append(out, st)
	}
	return out, worst
}

func xmlMarshal(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}
