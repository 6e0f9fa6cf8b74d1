package idp

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"example.com/cutover/harness/httpx"
)

const (
	// MaxResponse caps a base64 SAMLResponse (512 KiB); real ones are a
	// few KiB.
	MaxResponse = 512 << 10

	// ErrResponse is wrapped by every Verify error; one of the more
	// specific sentinels below is wrapped as well where the reason is
	// known.
	ErrResponse = httpx.Sentinel("idp: SAML response refused")
	// ErrMalformed: not base64, not XML, wrong shape, too large.
	ErrMalformed = httpx.Sentinel("idp: malformed SAML response")
	// ErrUnsigned: neither the Response nor the Assertion is signed.
	ErrUnsigned = httpx.Sentinel("idp: SAML response is not signed")
	// ErrSignature: a signature does not verify (tampered, wrapped).
	ErrSignature = httpx.Sentinel("idp: SAML signature invalid")
	// ErrUntrustedSigner: signed by a certificate not in the IdP metadata.
	ErrUntrustedSigner = httpx.Sentinel("idp: SAML signed by an untrusted certificate")
	// ErrAudience: the AudienceRestriction does not name this SP.
	ErrAudience = httpx.Sentinel("idp: SAML audience is not this SP")
	// ErrRecipient: Destination or Recipient is not this SP's ACS.
	ErrRecipient = httpx.Sentinel("idp: SAML recipient is not this SP's ACS")
	// ErrTimeWindow: expired, or not yet valid (clock skew).
	ErrTimeWindow = httpx.Sentinel("idp: SAML assertion outside its time window")
	// ErrIssuer: the Issuer is not the IdP of the metadata.
	ErrIssuer = httpx.Sentinel("idp: SAML issuer is not the trusted IdP")
	// ErrRequestID: InResponseTo names no request this SP made.
	ErrRequestID = httpx.Sentinel("idp: SAML InResponseTo unknown")
	// ErrStatusNotSuccess: the IdP answered a SAML error status.
	ErrStatusNotSuccess = httpx.Sentinel("idp: SAML status is not Success")
)

// SPConfig describes a SAML service provider (UCM, Webex, or the harness
// inspecting a response meant for one of them).
type SPConfig struct {
	// EntityID is the SP's entity ID, the Audience it expects.
	EntityID string
	// ACSURL is its HTTP-POST AssertionConsumerService, the Recipient and
	// Destination it expects.
	ACSURL string
	// IdPMetadata is the metadata of the IdP it trusts.
	IdPMetadata []byte
	// Clock is the time source; default time.Now.
	Clock func() time.Time
}

// ServiceProvider is the SP role on crewjam/saml: it makes AuthnRequests
// for the HTTP-Redirect binding and verifies HTTP-POST responses with
// every check a SAML SP makes (signature with XML-signature-wrapping
// protection, certificate validity, issuer, audience, recipient and
// destination, time window, InResponseTo). Safe for concurrent use.
type ServiceProvider struct {
	sp  saml.ServiceProvider
	idp Metadata
	acs string
}

// NewServiceProvider validates cfg and parses the IdP metadata.
func NewServiceProvider(cfg SPConfig) (*ServiceProvider, error) {
	if cfg.EntityID == "" {
		return nil, errors.New("idp: service provider: empty entity ID")
	}
	acs, err := url.Parse(cfg.ACSURL)
	if err != nil || acs.Scheme == "" || acs.Host == "" {
		return nil, fmt.Errorf("idp: service provider: bad ACS URL %q", cfg.ACSURL)
	}
	md, err := ParseMetadata(cfg.IdPMetadata)
	if err != nil {
		return nil, fmt.Errorf("idp: service provider: %w", err)
	}
	if len(md.Descriptor.IDPSSODescriptors) == 0 {
		return nil, fmt.Errorf("idp: service provider: %w: %s is not an IdP", ErrMetadata, md.EntityID)
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	meta, _ := url.Parse(cfg.EntityID)
	p := &ServiceProvider{idp: md, acs: acs.String()}
	p.sp = saml.ServiceProvider{
		EntityID:    cfg.EntityID,
		AcsURL:      *acs,
		IDPMetadata: md.Descriptor,
		Clock:       DSigClock(clock),
	}
	if meta != nil {
		p.sp.MetadataURL = *meta
	}
	return p, nil
}

// IdP is the parsed metadata of the trusted IdP.
func (p *ServiceProvider) IdP() Metadata { return p.idp }

// EntityID is the SP's entity ID.
func (p *ServiceProvider) EntityID() string { return p.sp.EntityID }

// ACSURL is the SP's assertion consumer service.
func (p *ServiceProvider) ACSURL() string { return p.acs }

// AuthnRequest returns the IdP URL carrying a new AuthnRequest with the
// HTTP-Redirect binding, and the request's ID for Verify.
func (p *ServiceProvider) AuthnRequest(relayState string) (*url.URL, string, error) {
	sp := p.sp
	loc := sp.GetSSOBindingLocation(saml.HTTPRedirectBinding)
	if loc == "" {
		return nil, "", fmt.Errorf("idp: authn request: %s has no HTTP-Redirect SingleSignOnService", p.idp.EntityID)
	}
	req, err := sp.MakeAuthenticationRequest(loc, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, "", fmt.Errorf("idp: authn request: %w", err)
	}
	u, err := req.Redirect(relayState, &sp)
	if err != nil {
		return nil, "", fmt.Errorf("idp: authn request: %w", err)
	}
	return u, req.ID, nil
}

// Metadata is the SP's metadata document (no keys: the SP signs nothing
// and wants assertions in the clear).
func (p *ServiceProvider) Metadata() []byte { return SPMetadata(p.sp.EntityID, p.acs) }

// SPMetadata writes minimal SP metadata: entity ID and one HTTP-POST ACS,
// assertions wanted signed. It is what an IdP needs to trust the SP.
func SPMetadata(entityID, acsURL string) []byte {
	yes := true
	ed := saml.EntityDescriptor{
		EntityID: entityID,
		SPSSODescriptors: []saml.SPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{
				RoleDescriptor: saml.RoleDescriptor{ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol"},
				NameIDFormats:  []saml.NameIDFormat{saml.EmailAddressNameIDFormat, saml.UnspecifiedNameIDFormat},
			},
			WantAssertionsSigned: &yes,
			AssertionConsumerServices: []saml.IndexedEndpoint{{
				Binding: saml.HTTPPostBinding, Location: acsURL, Index: 0, IsDefault: &yes,
			}},
		}},
	}
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		// EntityDescriptor of two strings always marshals.
		panic(err)
	}
	return b
}

// Assertion is what an SP learns from a verified response.
type Assertion struct {
	Issuer                     string
	NameID, NameIDFormat       string
	Audiences                  []string
	Recipient                  string
	NotBefore, NotOnOrAfter    time.Time
	IssueInstant, AuthnInstant time.Time
	SessionIndex               string
	// Attributes by Name and FriendlyName, values in order.
	Attributes map[string][]string
}

// Attr returns the first value of attribute name ("" if absent).
func (a Assertion) Attr(name string) string {
	if v := a.Attributes[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Verify checks a base64 SAMLResponse as posted to the ACS. requestIDs
// are the IDs of AuthnRequests this SP made; with none, InResponseTo is
// not checked (the harness inspecting a response meant for someone else).
// Errors wrap ErrResponse and, where the reason is known, ErrMalformed,
// ErrUnsigned, ErrSignature, ErrUntrustedSigner, ErrCertExpired,
// ErrAudience, ErrRecipient, ErrTimeWindow, ErrIssuer, ErrRequestID or
// ErrStatusNotSuccess. The message never holds the response itself.
func (p *ServiceProvider) Verify(samlResponse string, requestIDs ...string) (Assertion, error) {
	if len(samlResponse) > MaxResponse {
		return Assertion{}, fmt.Errorf("%w: %w: %d bytes, more than %d", ErrResponse, ErrMalformed, len(samlResponse), MaxResponse)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return Assertion{}, fmt.Errorf("%w: %w: base64: %v", ErrResponse, ErrMalformed, err)
	}
	sp := p.sp
	if len(requestIDs) == 0 {
		sp.ValidateRequestID = func(saml.Response, []string) error { return nil }
	}
	a, err := sp.ParseXMLResponse(raw, requestIDs, sp.AcsURL)
	if err != nil {
		return Assertion{}, classify(err)
	}
	return toAssertion(a), nil
}

func classify(err error) error {
	var ire *saml.InvalidResponseError
	reason := err
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		reason = ire.PrivateErr
	}
	var bad saml.ErrBadStatus
	kinds := []struct {
		lib, ours error
	}{
		{saml.ErrCertificateNotValidNow, ErrCertExpired},
		{saml.ErrUntrustedCertificate, ErrUntrustedSigner},
		{saml.ErrInvalidSignature, ErrSignature},
		{saml.ErrAudienceMismatch, ErrAudience},
		{saml.ErrDestinationMismatch, ErrRecipient},
		{saml.ErrExpired, ErrTimeWindow},
		{saml.ErrNotYetValid, ErrTimeWindow},
		{saml.ErrIssuerMismatch, ErrIssuer},
		{saml.ErrRequestIDMismatch, ErrRequestID},
		{saml.ErrMalformedMessage, ErrMalformed},
		{saml.ErrMissingElement, ErrMalformed},
	}
	msg := reason.Error()
	switch {
	case strings.Contains(msg, "signature element not present"):
		return fmt.Errorf("%w: %w: %s", ErrResponse, ErrUnsigned, msg)
	case errors.As(reason, &bad):
		return fmt.Errorf("%w: %w: %s", ErrResponse, ErrStatusNotSuccess, msg)
	}
	for _, k := range kinds {
		if errors.Is(reason, k.lib) {
			return fmt.Errorf("%w: %w: %s", ErrResponse, k.ours, msg)
		}
	}
	return fmt.Errorf("%w: %s", ErrResponse, msg)
}

func toAssertion(a *saml.Assertion) Assertion {
	out := Assertion{Issuer: a.Issuer.Value, IssueInstant: a.IssueInstant, Attributes: map[string][]string{}}
	if s := a.Subject; s != nil {
		if s.NameID != nil {
			out.NameID, out.NameIDFormat = s.NameID.Value, s.NameID.Format
		}
		for _, sc := range s.SubjectConfirmations {
			if sc.SubjectConfirmationData != nil && out.Recipient == "" {
				out.Recipient = sc.SubjectConfirmationData.Recipient
			}
		}
	}
	if c := a.Conditions; c != nil {
		out.NotBefore, out.NotOnOrAfter = c.NotBefore, c.NotOnOrAfter
		for _, ar := range c.AudienceRestrictions {
			for _, au := range ar.AllAudiences() {
				out.Audiences = append(out.Audiences, au.Value)
			}
		}
	}
	for _, st := range a.AuthnStatements {
		out.AuthnInstant, out.SessionIndex = st.AuthnInstant, st.SessionIndex
		break
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				if at.Name != "" {
					out.Attributes[at.Name] = append(out.Attributes[at.Name], v.Value)
				}
				if at.FriendlyName != "" && at.FriendlyName != at.Name {
					out.Attributes[at.FriendlyName] = append(out.Attributes[at.FriendlyName], v.Value)
				}
			}
		}
	}
	return out
}
