package expressway_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/pki"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := pki.NewCA("Example Root")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue("expe1.example.com",
		pki.WithDNSNames("expe1.example.com", "collab-edge.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := expressway.Start(ctx,
		expressway.WithCertificate(cert),
		expressway.WithUsers(expressway.User{Username: "alice", Password: "s3cret"}),
		expressway.OmitService("_cuplogin"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	// Dial the fake whatever the URL says: the harness resolver's job.
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr())
		},
	}}
	c := expressway.NewClient(hc)
	const base = "https://expe1.example.com:8443"
	fmt.Println(expressway.EncodeDomain("example.com"))

	ec, ev, err := c.GetEdgeConfig(ctx, base, "example.com",
		expressway.Credentials{Username: "alice", Password: "s3cret"}, "_cisco-uds", "_cuplogin")
	if err != nil {
		log.Fatal(err)
	}
	uds, _ := ec.Service("_cisco-uds")
	cup, _ := ec.Service("_cuplogin")
	fmt.Println(uds.Servers[0].Address, uds.Servers[0].Port, cup.Error, ec.SIPEdge[0].Port)
	fmt.Println(pki.EdgeSANForm(ev.PeerCert, "example.com"))

	_, _, err = c.GetEdgeConfig(ctx, base, "example.com", expressway.Credentials{Username: "alice", Password: "wrong"})
	var se *expressway.StatusError
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.WWWAuthenticate, se.Server)
	}
	// Output:
	// ZXhhbXBsZS5jb20
	// ucm1.example.com 8443 NameError 5061
	// DNS:collab-edge.example.com
	// 401 Basic realm="Cisco-Edge" CE_C ECS
}
