package sipreg_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"time"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/softphone"
)

// A UCM-profile registrar and a CSF softphone: 407 Bearer challenge,
// REGISTER with the token, 200 with Expires 120, then Expires: 0.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := pki.NewCA("Example Root")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := sipreg.Start(ctx,
		sipreg.WithCertificate(cert),
		sipreg.WithUsers(sipreg.User{Name: "alice", Devices: []sipreg.Device{{Name: "CSFalice"}}}),
		// The harness wires the OAuth fake's JWT keys here.
		sipreg.WithTokenValidator(func(tok string, _ time.Time) (string, error) {
			if tok == "token-for-alice" {
				return "alice", nil
			}
			return "", sipreg.ErrTokenUnknown
		}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	phone, err := softphone.New(
		softphone.WithTLSConfig(&tls.Config{RootCAs: ca.Pool()}),
		softphone.WithDialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr()) // the harness resolver's job
		}))
	if err != nil {
		log.Fatal(err)
	}
	res, err := phone.Register(ctx, softphone.Registration{
		Registrar: "ucm1.example.com:5090", User: "alice", Device: sipreg.CSF,
		Tokens: softphone.StaticToken("token-for-alice"), ExpectRealm: sipreg.UCMRealm,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Challenge.Status, res.Challenge.Header, res.Challenge.Realm)
	fmt.Println(res.Registered, res.Granted, res.Unregistered)
	for _, r := range srv.Received() {
		fmt.Println(r.Status, r.Auth, r.Note)
	}
	fmt.Println(len(srv.Bindings()), "bindings left")
	// Output:
	// 407 Proxy-Authenticate ccmsipline
	// true 2m0s true
	// 407  challenged
	// 200 Proxy-Authorization: Bearer [redacted] registered
	// 200 Proxy-Authorization: Bearer [redacted] unregistered
	// 0 bindings left
}

func ExampleParseChallenge() {
	m, err := sipreg.ParseMessage([]byte("SIP/2.0 401 Unauthorized\r\n"+
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\"\r\n"+
		"WWW-Authenticate: Bearer realm=\"example.com\", scope=\"sip:register\", authz_server=\"https://as.example.com/\"\r\n"+
		"Content-Length: 0\r\n\r\n"), sipreg.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	ch, err := sipreg.ParseChallenge(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ch.Schemes, ch.Realm, ch.AuthzServer, ch.CredentialsHeader())
	fmt.Println(sipreg.Credentials("mF_9.B5f-4.1JqM", httpauth.FormRFC6750))
	// Output:
	// [Digest Bearer] example.com https://as.example.com/ Authorization
	// Bearer mF_9.B5f-4.1JqM
}
