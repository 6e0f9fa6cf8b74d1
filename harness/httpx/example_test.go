package httpx_test

import (
	"fmt"
	"net/http"

	"example.com/cutover/harness/httpx"
)

func ExampleEvidence_String() {
	ev := httpx.Evidence{
		Method: "GET",
		URL:    "https://ucm1.example.com:8443/cucm-uds/user/alice/devices",
		Status: 401,
		Header: httpx.Redact(http.Header{
			"Www-Authenticate": {`Basic realm="Cisco Web Services Realm"`},
			"Set-Cookie":       {"JSESSIONID=abc"},
		}),
		Err: (&httpx.StatusError{Code: 401}).Error(),
	}
	fmt.Print(ev)
	// Output:
	// GET https://ucm1.example.com:8443/cucm-uds/user/alice/devices
	// status: 401 Unauthorized
	// Set-Cookie: [redacted]
	// Www-Authenticate: Basic realm="Cisco Web Services Realm"
	// error: unexpected status 401 Unauthorized
}
