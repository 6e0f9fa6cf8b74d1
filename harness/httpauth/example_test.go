package httpauth_test

import (
	"fmt"

	"example.com/cutover/harness/httpauth"
)

func Example() {
	cs, _ := httpauth.ParseChallenges(`Basic realm="Cisco, Edge", Bearer realm="ccmsipline"`)
	for _, c := range cs {
		realm, _ := c.Param("realm")
		fmt.Printf("%s realm=%q\n", c.Scheme, realm)
	}
	cred, _ := httpauth.ParseCredentials(`Bearer token="eyJ.a.b"`)
	tok, _ := httpauth.BearerToken(cred)
	fmt.Println(tok)
	fmt.Println(httpauth.Bearer(tok, httpauth.FormRFC6750))
	// Output:
	// Basic realm="Cisco, Edge"
	// Bearer realm="ccmsipline"
	// eyJ.a.b
	// Bearer eyJ.a.b
}
