package ident_test

import (
	"fmt"

	"example.com/cutover/harness/hybrid/ident"
)

func ExampleEmailKey() {
	k, _ := ident.EmailKey(" Alice.Smith@Example.COM ")
	fmt.Println(k, ident.SameEmail("Alice.Smith@example.com", "alice.smith@EXAMPLE.com"))
	_, err := ident.EmailKey("Smith, Alice@example.com")
	fmt.Println(err)
	// Output:
	// alice.smith@example.com true
	// ident: bad address: "Smith, Alice@example.com": ',' is not allowed in a local part
}

func ExampleAddressing_JID() {
	byUserID := ident.Addressing{Scheme: ident.SchemeUserID, DefaultDomain: "example.com"}
	byURI := ident.Addressing{Scheme: ident.SchemeDirectoryURI}
	j1, _ := byUserID.JID("BSmith", "bob.smith@example.com")
	j2, _ := byURI.JID("BSmith", "Bob.Smith@example.com")
	fmt.Println(j1)
	fmt.Println(j2)
	// Output:
	// bsmith@example.com
	// bob.smith@example.com
}
