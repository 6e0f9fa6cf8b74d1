package export_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"example.com/cutover/harness/hybrid/export"
)

func Example() {
	in := "\uFEFFFIRST NAME,USER ID,MAIL ID,DIRECTORY URI,HOME CLUSTER,CONTROLLED DEVICE 1\r\n" +
		"\"Smith, Alice\",asmith,alice.smith@example.com,alice.smith@example.com,t,CSFASMITH\r\n" +
		"broken row\r\n" +
		"Bob,bjones,bob@example.com,,t,\r\n"
	r, err := export.NewUCMReader(strings.NewReader(in), "users.csv")
	if err != nil {
		fmt.Println(err) // not a CSV, or a required column missing: exit 2
		return
	}
	for {
		u, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, export.ErrRow) {
			fmt.Println("skipped:", err)
			continue
		}
		fmt.Printf("%d %s %q %v\n", u.Line, u.UserID, u.DirectoryURI, u.Devices)
	}
	// Output:
	// 2 asmith "alice.smith@example.com" [CSFASMITH]
	// skipped: users.csv:3: 1 fields, the header has 6
	// 4 bjones "" []
}
