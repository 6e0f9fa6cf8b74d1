package certify_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"example.com/cutover/harness/hybrid/certify"
	"example.com/cutover/harness/hybrid/ident"
)

func Example() {
	dir, _ := os.MkdirTemp("", "certify")
	defer os.RemoveAll(dir)
	ucm := "USER ID,MAIL ID,DIRECTORY URI,HOME CLUSTER,ENABLE USER FOR UNIFIED CM IM AND PRESENCE\n" +
		"asmith,alice.smith@example.com,alice.smith@example.com,t,t\n" +
		"bjones,bob.jones@example.com,bjones@example.com,t,t\n" +
		"cdoe,,,t,t\n"
	webex := "User ID/Email (Required),User Status,Hybrid Message Service\n" +
		"Alice.Smith@example.com,Active,TRUE\n" +
		"bob.jones@example.com,Active,TRUE\n"
	src := certify.Source{Name: "cucm-a.csv", Cluster: "cucm-a",
		Addressing: ident.Addressing{Scheme: ident.SchemeUserID, DefaultDomain: "imp.example.com"},
		Open:       func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(ucm)), nil }}
	wx := certify.Source{Name: "controlhub.csv",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(webex)), nil }}
	sum, err := certify.Run(context.Background(), certify.Options{UCM: []certify.Source{src}, Webex: wx,
		ReportDir: filepath.Join(dir, "report")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sum.Users, "users,", sum.Routable, "routable")
	for _, v := range sum.Unroutable {
		fmt.Println(v.UserID, v.Codes(), v.Reasons[0].Check)
	}
	fmt.Println(sum.Files)
	// Output:
	// 3 users, 1 routable
	// bjones [directory_uri_mismatch] HYB-01
	// cdoe [no_email] HYB-02
	// [hybrid-users.csv hybrid-users.json hybrid-errors.csv hybrid-rollup.json hybrid-section.html]
}
