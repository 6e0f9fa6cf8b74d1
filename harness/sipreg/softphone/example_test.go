package softphone_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"time"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/softphone"
)

// A device whose security profile lacks OAuth: UCM answers 403 with the
// port-mismatch Warning, and the client says so without sending a token.
func ExampleClient_Register_portMismatch() {
	ctx := context.Background()
	ca, _ := pki.NewCA("Example Root")
	cert, _ := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	srv, err := sipreg.Start(ctx, sipreg.WithCertificate(cert),
		sipreg.WithUsers(sipreg.User{Name: "alice", Devices: []sipreg.Device{{Name: "BOTALICE"}}}),
		sipreg.ProfileWithoutOAuth("BOTALICE"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	phone, _ := softphone.New(
		softphone.WithTLSConfig(&tls.Config{RootCAs: ca.Pool()}),
		softphone.WithTimeout(5*time.Second),
		softphone.WithDialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr())
		}))
	res, err := phone.Register(ctx, softphone.Registration{
		Registrar: "ucm1.example.com:5090", User: "alice", Device: sipreg.BOT,
		Tokens: softphone.StaticToken("unused"),
	})
	fmt.Println(errors.Is(err, softphone.ErrPortMismatch), res.Status, res.Registered)
	fmt.Println(res.Warning)
	// Output:
	// true 403 false
	// 399 ucm1.example.com "SIP OAuth Registration port Mismatch"
}
