package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReportInBrowser renders the healthy and the faulted report in a real
// headless browser with JavaScript off (scripts/check-html.sh sets
// CUTOVER_CHROMIUM, installing Debian's chromium when missing): every
// verdict is visible, every failing check's link opens its section with
// its evidence and remediation, every evidence link opens its file, and
// screenshots are saved under the report directory.
func TestReportInBrowser(t *testing.T) {
	bin := os.Getenv("CUTOVER_CHROMIUM")
	if bin == "" {
		t.Skip("CUTOVER_CHROMIUM is not set: scripts/check-html.sh runs this test with Debian's chromium")
	}
	root := os.Getenv("CUTOVER_HTML_OUT")
	if root == "" {
		root = t.TempDir()
	}
	healthy, bad := filepath.Join(root, "healthy"), filepath.Join(root, "faulted")
	if code, _, errs := cutover(t, "run", "--quiet", "--report", healthy); code != 0 {
		t.Fatalf("healthy run: exit %d %s", code, errs)
	}
	if code, _, _ := cutover(t, "run", "--quiet", "--target", faulted, "--report", bad); code != 1 {
		t.Fatalf("faulted run: exit %d", code)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("blink-settings", "scriptEnabled=false"),
		chromedp.Flag("no-sandbox", true), // root in a container
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	for _, dir := range []string{healthy, bad} {
		page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "report.html")}).String()
		if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("tbody tr")))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 20 {
			t.Errorf("%s: %d check rows shown with JavaScript off, want every check", page, len(rows))
		}
		shot(t, ctx, filepath.Join(dir, "screenshots", "report.png"))

		links, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`td.id a[href^="#check-"]`), chromedp.AtLeast(0)))
		if err != nil {
			t.Fatal(err)
		}
		if dir == bad && len(links) != len(faultedIDs) {
			t.Errorf("faulted report links %d failing checks, want %d", len(links), len(faultedIDs))
		}
		var hrefs []string
		for _, l := range links {
			hrefs = append(hrefs, l.AttributeValue("href"))
		}
		for _, href := range hrefs {
			id := strings.TrimPrefix(href, "#")
			if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.Click(chromedp.CSS(`td.id a[href="`+href+`"]`))); err != nil {
				t.Fatalf("%s: click %s: %v", page, href, err)
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil || !strings.HasSuffix(loc, href) {
				t.Errorf("%s: the link %s led to %s (%v)", page, href, loc, err)
			}
			open, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#`+id), "open"))
			if err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#`+id)))
			if err != nil {
				t.Fatal(err)
			}
			files, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`#`+id+` .evidence a[href^="evidence/"]`), chromedp.AtLeast(0)))
			if err != nil {
				t.Fatal(err)
			}
			if !open.Exists || !strings.Contains(text, "Reason:") || !strings.Contains(text, "What to do:") || len(files) == 0 {
				t.Errorf("%s: the section of %s is not open with its reason, remediation and evidence links (open %v, %d evidence links)", page, href, open.Exists, len(files))
			}
			shot(t, ctx, filepath.Join(dir, "screenshots", id+".png"))
			var evidence []string
			for _, f := range files {
				evidence = append(evidence, f.AttributeValue("href"))
			}
			for _, f := range evidence {
				target := (&url.URL{Scheme: "file", Path: filepath.Join(dir, filepath.FromSlash(f))}).String()
				if err := chromedp.Do(ctx, chromedp.Navigate(target)); err != nil {
					t.Errorf("%s: evidence %s does not open: %v", id, target, err)
					continue
				}
				body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
				if err != nil || strings.TrimSpace(body) == "" {
					t.Errorf("%s: evidence %s is empty in the browser: %v", id, target, err)
				}
			}
		}
	}
}

func shot(t *testing.T, ctx context.Context, file string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(fmt.Errorf("screenshot: %w", err))
	}
}
