package report_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"example.com/cutover/harness/report"
)

// cucumberJSON is what godog's cucumber formatter writes for one passing and
// one failing check (trimmed).
const cucumberJSON = `[{"uri":"features/discovery/srv.feature","elements":[
 {"name":"internal resolver returns _cisco-uds SRV","line":4,"type":"scenario",
  "description":"    Source: RFC 2782",
  "tags":[{"name":"@DISC-01"},{"name":"@discovery"}],
  "steps":[{"keyword":"Then ","name":"the answer has 2 targets","result":{"status":"passed","duration":1500000}}]},
 {"name":"_cisco-uds SRV not visible from outside","line":9,"type":"scenario",
  "description":"    Source: Jabber to Webex guide §Validate DNS",
  "tags":[{"name":"@DISC-03"},{"name":"@discovery"}],
  "steps":[{"keyword":"Then ","name":"the answer is NXDOMAIN",
   "result":{"status":"failed","error_message":"DISC-03: _cisco-uds._tcp.example.com SRV: want NXDOMAIN, got 1 target from 127.0.0.1:5300\ndetails","duration":2500000},
   "embeddings":[{"name":"dns answer","mime_type":"text/plain","data":"X2Npc2NvLXVkcy5fdGNwLmV4YW1wbGUuY29tLiAzMDAgSU4gU1JWIDAgMCA4NDQzIGN1Y20xLmV4YW1wbGUuY29tLg=="}]}]}
]}]`

func Example() {
	checks, err := report.FromCucumberJSON([]byte(cucumberJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &report.Run{Target: "embedded", Started: time.Now(), Duration: 420 * time.Millisecond, Checks: checks}
	report.Redact(r, func(s string) string { return strings.ReplaceAll(s, "127.0.0.1:5300", "127.0.0.1:<port>") })
	if err := report.WriteSummary(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	fmt.Println(r.Checks[1].Source, "|", r.Checks[1].Evidence[0].Data)
	// Output:
	// cutover: target embedded, 2 checks in 0.42s, profile certification
	// discovery   1 passed 1 failed
	//   FAIL  DISC-03  _cisco-uds._tcp.example.com SRV: want NXDOMAIN, got 1 target from 127.0.0.1:<port>
	// RESULT: FAIL (1 failed, 1 passed of 2 checks)
	// Jabber to Webex guide §Validate DNS | _cisco-uds._tcp.example.com. 300 IN SRV 0 0 8443 cucm1.example.com.
}
