package target_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
)

// TestSIPSection: the sip section's defaults, the per-user device types,
// and the Expressway-C client certificate loaded from files beside the
// target file.
func TestSIPSection(t *testing.T) {
	path := labExample(t)
	dir := filepath.Dir(path)
	ca, err := pki.NewCA("expc")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("expc1.example.com", pki.WithDNSNames("expc1.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "expc1.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644)
	os.WriteFile(filepath.Join(dir, "expc1.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Replace(string(b), "  # mra_client: {", "  mra_client: {", 1)
	data = strings.Replace(data, "    devices: [CSFBOB]\n", "    devices: [CSFBOB]\n    device_types: [csf]\n", 1)
	data = strings.Replace(data, "  oauth_port: 5090 ", "  oauth_port: 5095 ", 1)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := target.LoadFile(path, fullEnv)
	if err != nil {
		t.Fatal(err)
	}
	x := s.SIP
	if x.MRACert == nil || len(x.MRACert.Certificate) == 0 {
		t.Errorf("mra_client not loaded: %+v", x.MRAClient)
	}
	if x.OAuthAddr("ucm1.example.com") != "ucm1.example.com:5095" || x.MRAAddr("ucm1.example.com.") != "ucm1.example.com:5091" || x.TFTPPort != 6970 {
		t.Errorf("ports: %+v", x)
	}
	if !slices.Equal(s.Users[0].DeviceTypes, []string{"CSF", "BOT", "TCT", "TAB"}) || !slices.Equal(s.Users[1].DeviceTypes, []string{"CSF"}) {
		t.Errorf("device types: alice %v, bob %v", s.Users[0].DeviceTypes, s.Users[1].DeviceTypes)
	}
}
