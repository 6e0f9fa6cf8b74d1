package gen_test

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"example.com/cutover/harness/hybrid/gen"
)

func Example() {
	var ucm, webex bytes.Buffer
	truth, err := gen.Generate(gen.Config{Users: 500, Seed: 7, DefectRate: 0.02, BadRows: 1},
		[]io.Writer{&ucm}, &webex, []string{"ucm.csv", "controlhub.csv"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var keys []string
	for k, codes := range truth.Defects {
		keys = append(keys, k+" "+strings.Join(codes, ","))
	}
	sort.Strings(keys)
	fmt.Println(truth.Users, "verdicts expected,", len(truth.Defects), "defective,", len(truth.RowErrors), "bad rows")
	fmt.Println(keys[0])
	// Output:
	// 501 verdicts expected, 8 defective, 4 bad rows
	// ucm:jjackson497 no_directory_uri
}
