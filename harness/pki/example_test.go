package pki_test

import (
	"fmt"
	"log"

	"example.com/cutover/harness/pki"
)

func ExampleEdgeSANForm() {
	ca, err := pki.NewCA("Example Test Root")
	if err != nil {
		log.Fatal(err)
	}
	cert, err := ca.Issue("expe1.example.com",
		pki.WithDNSNames("expe1.example.com"),
		pki.WithSRVNames("_collab-edge._tls.example.com"))
	if err != nil {
		log.Fatal(err)
	}
	srv, _ := pki.SRVNames(cert.Leaf)
	fmt.Println(srv)
	fmt.Println(pki.EdgeSANForm(cert.Leaf, "example.com"))
	fmt.Printf("%q\n", pki.EdgeSANForm(cert.Leaf, "example.net"))
	// Output:
	// [_collab-edge._tls.example.com]
	// SRVName:_collab-edge._tls.example.com
	// ""
}
