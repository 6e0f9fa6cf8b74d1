package xmpps2s

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestPooledStreamSurvivesConcurrentSends sends many messages at once
// over one pooled stream, each with a context cancelled as soon as its
// Send returns (as the echo replies do): no write may fail, and the stream
// still carries a probe's reply afterwards. Before the site's writes had a
// deadline of their own, mellium's watcher of an ended context could time
// out the next Send's write, which breaks a TLS stream for good while its
// reads go on: the pool kept it and every later reply was lost.
func TestPooledStreamSurvivesConcurrentSends(t *testing.T) {
	p := trustedPair(t, nil, nil)
	if r, err := p.probe(t, "open the pooled stream"); err != nil {
		t.Fatalf("probe: %v\n%s", err, r)
	}
	const senders, each = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				ctx, cancel := context.WithTimeout(testCtx(t), testTimeout)
				err := p.site.Send(ctx, Message{From: "alice@example.com", To: "bob@example.net", Type: "chat", Body: fmt.Sprintf("%d/%d", i, j)})
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Errorf("send: %v", err)
		}
	}
	if r, err := p.probe(t, "after the burst"); err != nil {
		t.Fatalf("probe after %d concurrent sends: %v\n%s", senders*each, err, r)
	}
}
