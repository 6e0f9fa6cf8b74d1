package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// htmlTexts tokenises page as HTML (void elements and entities allowed),
// failing on unbalanced tags, and returns the unescaped text of every
// element named tag.
func htmlTexts(t *testing.T, page, tag string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var (
		out   []string
		depth int
		cur   strings.Builder
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("HTML does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Local == tag {
				depth++
			}
		case xml.EndElement:
			if tok.Name.Local == tag {
				depth--
				if depth == 0 {
					out = append(out, cur.String())
					cur.Reset()
				}
			}
		case xml.CharData:
			if depth > 0 {
				cur.Write(tok)
			}
		}
	}
	return out
}

func TestWriteHTML(t *testing.T) {
	r := sampleRun(t)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()

	pres := htmlTexts(t, page, "pre")
	hasPre := func(s string) bool {
		for _, p := range pres {
			if p == s {
				return true
			}
		}
		return false
	}
	for _, c := range r.Failed() {
		if !strings.Contains(page, `id="check-`+c.ID+`"`) {
			t.Errorf("%s: no failure section", c.ID)
		}
		if !hasPre(c.Error) {
			t.Errorf("%s: full error not shown in a <pre>", c.ID)
		}
		for _, e := range c.Evidence {
			if inlineMediaType(e.MediaType) && !hasPre(e.Data) {
				t.Errorf("%s: evidence %q not shown verbatim in a <pre>", c.ID, e.Name)
			}
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "</pre><b>") {
		t.Error("evidence reached the page unescaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;") {
		t.Error("escaped <script> evidence not found")
	}
	if !strings.Contains(page, `href="data:application/octet-stream;base64,AAECAwQF`) || !strings.Contains(page, `download="raw.bin"`) {
		t.Error("binary evidence raw.bin not offered as a data: download")
	}
	for _, bad := range []string{`src="http`, `href="http`, `src='http`, `href='http`, `url(http`, `@import`, `<link`, `<script`} {
		if strings.Contains(strings.ToLower(page), strings.ToLower(bad)) {
			t.Errorf("page contains %q: not self-contained", bad)
		}
	}
	for _, want := range []string{"embedded", "2026-03-01T09:30:00Z", "420ms", "7 checks", "2 passed", "4 failed", "1 could not test", "Jabber to Webex guide §Validate DNS: external DNS must not expose UDS", "DISC-10"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Passing checks are listed but get no failure section.
	if strings.Contains(page, `id="check-DISC-10"`) {
		t.Error("passing DISC-10 has a failure section")
	}
}

func TestWriteHTMLHostileRun(t *testing.T) {
	r := &Run{Target: `<img src=x onerror=alert(1)>`, Checks: []Check{{
		ID: `"><script>`, Capability: `<b>`, Title: `</table>`, Source: `javascript:alert(1)`,
		Status: StatusFailed, Verdict: Fail, Reason: `<i>`, Error: `</pre><script>`,
		Evidence: []Evidence{
			{Name: `"><x`, MediaType: `text/html"><script>`, Data: "<svg onload=alert(1)>"},
			{Name: "ok", MediaType: "text/plain", Data: "\xff\xfe not utf-8"},
		},
	}, {ID: `"><script>`, Status: StatusFailed, Verdict: Fail}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	htmlTexts(t, page, "pre")
	for _, bad := range []string{"<script", "<img", "<svg", "<b>", "<i>", "</table></td>"} {
		if strings.Contains(page, bad) {
			t.Errorf("hostile input %q reached the page unescaped", bad)
		}
	}
	if strings.Count(page, `id="check-script"`) != 1 || !strings.Contains(page, `id="check-script-2"`) {
		t.Error("duplicate IDs did not get distinct anchors")
	}
	if err := WriteHTML(&buf, nil); !errors.Is(err, ErrNilRun) {
		t.Errorf("WriteHTML(nil) = %v, want ErrNilRun", err)
	}
}
