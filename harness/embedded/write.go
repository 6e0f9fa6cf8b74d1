package embedded

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"example.com/cutover/harness/target"
)

// WriteTarget writes a lab target file that points at the running fakes of
// t, and the test CA beside it (FILE.ca.pem), so that lab mode can be
// exercised against them. Passwords are not written: the returned map holds
// the environment variables to export.
func WriteTarget(t *target.Target, path string) (map[string]string, error) {
	site := *t.Site
	site.Kind = target.KindLab
	site.Name = "embedded fakes (lab mode)"
	site.Fakes = target.FakesSpec{}
	// The fakes are on loopback: a high cap keeps lab mode rate-limited
	// (as it always is) without slowing runs against them.
	site.Limits.RPS = 1000
	caFile := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".ca.pem"
	site.TLS.CAFile = caFile
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), caFile), site.CAPEM, 0o644); err != nil {
		return nil, fmt.Errorf("embedded: write ca: %w", err)
	}
	if c := site.SIP.MRACert; c != nil {
		// Expressway-C's client certificate, for the MRA check.
		if err := writeMRAClient(&site, path, c); err != nil {
			return nil, err
		}
	}
	env := map[string]string{}
	for _, u := range site.Users {
		env[u.PasswordEnv] = u.Password
		if u.Hybrid != nil {
			env[u.Hybrid.WebexTokenEnv] = u.Hybrid.WebexToken
		}
	}
	if h := site.Hybrid; h.AXL.PasswordEnv != "" {
		env[h.AXL.PasswordEnv] = h.AXL.Password
	}
	if c := site.Hybrid.EmailChange; c != nil && c.WebexTokenEnv != "" {
		env[c.WebexTokenEnv] = c.WebexToken
	}
	if err := copyExports(&site.Hybrid, filepath.Dir(path)); err != nil {
		return nil, err
	}
	if a := site.SSO.Admin; a.Username != "" {
		if a.PasswordEnv == "" {
			site.SSO.Admin.PasswordEnv = "CUTOVER_UCM_ADMIN_PASSWORD"
		}
		env[site.SSO.Admin.PasswordEnv] = a.Password
	}
	var b bytes.Buffer
	b.WriteString("# cutover target file written by `cutover fakes`: the embedded fakes as a lab site.\n")
	b.WriteString("# Passwords come from the environment variables named by password_env.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&site); err != nil {
		return nil, fmt.Errorf("embedded: encode target: %w", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("embedded: write target: %w", err)
	}
	return env, nil
}

// copyExports writes the user exports the site names beside the target
// file, under the same relative names.
func copyExports(h *target.Hybrid, dir string) error {
	names := []string{}
	for _, e := range h.Exports.UCM {
		names = append(names, e.File)
	}
	if h.Exports.ControlHub != "" {
		names = append(names, h.Exports.ControlHub)
	}
	for _, n := range names {
		if filepath.IsAbs(n) || strings.Contains(n, "..") {
			continue
		}
		r, err := h.OpenExport(n)
		if err != nil {
			return fmt.Errorf("embedded: export %s: %w", n, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return fmt.Errorf("embedded: export %s: %w", n, err)
		}
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("embedded: export %s: %w", n, err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("embedded: export %s: %w", n, err)
		}
	}
	return nil
}

// writeMRAClient writes the fakes' Expressway-C client certificate and
// key beside the target file (FILE.mra.pem, FILE.mra.key, the key
// readable by the owner only) and names them in the target's sip section.
func writeMRAClient(site *target.Site, path string, c *tls.Certificate) error {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	var cb []byte
	for _, der := range c.Certificate {
		cb = append(cb, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return fmt.Errorf("embedded: mra client key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, base+".mra.pem"), cb, 0o644); err != nil {
		return fmt.Errorf("embedded: write mra client certificate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, base+".mra.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		return fmt.Errorf("embedded: write mra client key: %w", err)
	}
	site.SIP.MRAClient = target.MRAClient{CertFile: base + ".mra.pem", KeyFile: base + ".mra.key"}
	return nil
}
