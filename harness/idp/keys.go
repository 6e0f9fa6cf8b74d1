package idp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// SigningKey is an IdP's (or an SP's) XML-signature key pair: an RSA key
// and the self-signed certificate published in metadata. SAML signing
// certificates are rarely issued by a CA; SPs trust the one in the IdP
// metadata, and still refuse it outside its validity window.
type SigningKey struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// NewSigningKey makes a 2048-bit RSA key and a self-signed certificate
// for commonName valid from notBefore to notAfter.
func NewSigningKey(commonName string, notBefore, notAfter time.Time) (SigningKey, error) {
	if !notAfter.After(notBefore) {
		return SigningKey{}, errors.New("idp: signing key: notAfter is not after notBefore")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return SigningKey{}, fmt.Errorf("idp: signing key: %w", err)
	}
	return selfSign(key, commonName, notBefore, notAfter)
}

// Reissue keeps k's key and issues a new self-signed certificate for it
// with another validity window: an expired or expiring certificate on the
// same key, as a site that forgot to roll over has.
func (k SigningKey) Reissue(notBefore, notAfter time.Time) (SigningKey, error) {
	if k.Key == nil || k.Cert == nil {
		return SigningKey{}, errors.New("idp: signing key: empty key")
	}
	return selfSign(k.Key, k.Cert.Subject.CommonName, notBefore, notAfter)
}

func selfSign(key *rsa.PrivateKey, cn string, notBefore, notAfter time.Time) (SigningKey, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return SigningKey{}, fmt.Errorf("idp: signing key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return SigningKey{}, fmt.Errorf("idp: signing key: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return SigningKey{}, fmt.Errorf("idp: signing key: %w", err)
	}
	return SigningKey{Key: key, Cert: cert}, nil
}

// LoadSigningKey reads a PEM certificate and a PEM RSA key (PKCS#1 or
// PKCS#8), as openssl writes them for SimpleSAMLphp.
func LoadSigningKey(certPEM, keyPEM []byte) (SigningKey, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return SigningKey{}, errors.New("idp: load signing key: no CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return SigningKey{}, fmt.Errorf("idp: load signing key: %w", err)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return SigningKey{}, errors.New("idp: load signing key: no key block")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(kb.Bytes); err == nil {
		key = k
	} else if k8, err8 := x509.ParsePKCS8PrivateKey(kb.Bytes); err8 == nil {
		rk, ok := k8.(*rsa.PrivateKey)
		if !ok {
			return SigningKey{}, errors.New("idp: load signing key: not an RSA key")
		}
		key = rk
	} else {
		return SigningKey{}, fmt.Errorf("idp: load signing key: %w", err8)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return SigningKey{}, errors.New("idp: load signing key: key does not match certificate")
	}
	return SigningKey{Key: key, Cert: cert}, nil
}
