package ucm_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/ucm"
)

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
	srv, err := ucm.Start(ctx,
		ucm.WithCertificate(cert),
		ucm.WithUsers(ucm.User{Username: "alice", Email: "alice@example.com", Password: "s3cret"}))
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
	c := ucm.NewClient(hc)
	u, _, err := c.ClusterUser(ctx, "https://ucm1.example.com:8443", "email", "alice@example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Found, u.HomeCluster, u.ServersURI)

	_, ev, err := c.UserDevices(ctx, "https://ucm1.example.com:8443", "alice", ucm.Auth{})
	var se *ucm.StatusError
	if errors.As(err, &se) {
		fmt.Println(ev.Status, se.WWWAuthenticate)
	}
	// Output:
	// true ucm1.example.com https://ucm1.example.com:8443/cucm-uds/servers
	// 401 Basic realm="Cisco Web Services Realm"
}
