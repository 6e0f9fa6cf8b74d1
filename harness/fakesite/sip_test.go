package fakesite_test

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/devcfg"
	"example.com/cutover/harness/sipreg/softphone"
)

// mint signs an access token for user with the cluster's key, as UCM's
// OAuth service of that cluster would.
func mint(t *testing.T, b *fakesite.Bundle, cluster, user string, exp time.Time) string {
	t.Helper()
	c, err := b.Credential(fakesite.JWTKeyName(cluster))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: c.PrivateKey.(*rsa.PrivateKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(jwt.Claims{Subject: user, Expiry: jwt.NewNumericDate(exp)}).
		Claims(map[string]any{"token_type": "access"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSIPNode: a UCM node of the example site challenges a tokenless
// REGISTER on its OAuth port with UCM's 407, registers its cluster's
// token, refuses an expired one and another cluster's, takes Expressway-C
// on the MRA port and nobody else there, and serves the device's
// configuration with both OAuth ports of every node.
func TestSIPNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, reg, err := fakesite.Prepare("example", fakesite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fakesite.NewBundle(p, reg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := fakesite.StartHost(ctx, reg, b, "ucm2.example.com", fakesite.HostOptions{Bind: func(int) string { return "127.0.0.1:0" }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	}()
	roots, _ := b.Roots()
	client := func(t *testing.T, cert *tls.Certificate) *softphone.Client {
		tc := &tls.Config{RootCAs: roots, ServerName: "ucm2.example.com"}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		c, err := softphone.New(softphone.WithTLSConfig(tc), softphone.WithTimeout(3*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	register := func(c *softphone.Client, addr, tok string, dev sipreg.DeviceType) (*softphone.Result, error) {
		return c.Register(ctx, softphone.Registration{Registrar: addr, Domain: "ucm2.example.com", User: "alice",
			Device: dev, DeviceName: string(dev) + "ALICE", Tokens: softphone.StaticToken(tok), ExpectRealm: sipreg.UCMRealm})
	}
	oauth, mra := h.Addrs[5090], h.Addrs[5091]
	now := time.Now()

	for _, dev := range sipreg.DeviceTypes() {
		res, err := register(client(t, nil), oauth, mint(t, b, "ucm-a", "alice", now.Add(time.Hour)), dev)
		if err != nil || !res.Registered || !res.Unregistered || res.Challenge == nil {
			t.Fatalf("%s: want 407 then 200 then unregistered, got %v\n%s", dev, err, res.Evidence())
		}
		if !strings.Contains(res.Evidence(), `+u.sip!devicename.ccm.cisco.com="`+string(dev)+`ALICE"`) {
			t.Errorf("%s: 200 does not list the device:\n%s", dev, res.Evidence())
		}
	}
	for name, tok := range map[string]string{
		"expired":       mint(t, b, "ucm-a", "alice", now.Add(-time.Minute)),
		"other cluster": mint(t, b, "ucm-b", "alice", now.Add(time.Hour)),
	} {
		res, err := register(client(t, nil), oauth, tok, sipreg.CSF)
		if !errors.Is(err, softphone.ErrTokenRejected) || res.Registered {
			t.Errorf("%s token: want refused, got %v (registered %v)", name, err, res.Registered)
		}
	}

	expc, err := b.Credential("expc1.example.com/tls-client")
	if err != nil {
		t.Fatal(err)
	}
	res, err := register(client(t, &expc), mra, mint(t, b, "ucm-a", "alice", now.Add(time.Hour)), sipreg.TCT)
	if err != nil || !res.Registered {
		t.Fatalf("MRA with Expressway-C: want 200, got %v\n%s", err, res.Evidence())
	}
	rogue, err := b.Credential("ucm2.example.com") // a certificate, but not Expressway-C's
	if err != nil {
		t.Fatal(err)
	}
	if res, err := register(client(t, &rogue), mra, "x", sipreg.TCT); err == nil || res.Status != 0 {
		t.Errorf("MRA with another certificate: want no SIP answer, got %v status %d", err, res.Status)
	}

	resp, err := http.Get("http://" + h.Addrs[6970] + "/TABALICE.cnf.xml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cfg, err := devcfg.Parse("TABALICE", body)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckOAuth(); err != nil || len(cfg.Nodes) != 3 || cfg.Nodes[2].Name != "ucm3.example.com" {
		t.Errorf("cnf.xml: want mode 1 and the three nodes' ports, got %v %+v", err, cfg)
	}
}
