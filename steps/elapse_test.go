package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/target"
)

// TestElapseOnlyInSerialChecks: a check not tagged @serial may not move
// the site's clock (others run beside it); one tagged @serial moves it at
// once on a site of fakes.
func TestElapseOnlyInSerialChecks(t *testing.T) {
	tg := target.New(&target.Site{})
	tg.Clock = clock.New(0)
	tg.OnClockMove(func(context.Context, time.Duration) error { return nil })
	ctx := context.WithValue(context.Background(), worldKey{}, &World{T: tg, ID: "SSO-01", Tags: []string{"@SSO-01", "@sso"}})
	if _, err := Elapse(ctx, time.Hour); !errors.Is(err, ErrNotSerial) {
		t.Fatalf("Elapse outside @serial: want ErrNotSerial, got %v", err)
	}
	if tg.Clock.Offset() != 0 {
		t.Fatal("the clock moved anyway")
	}
	ctx = context.WithValue(context.Background(), worldKey{}, &World{T: tg, ID: "SSO-01", Tags: []string{"@SSO-01", "@sso", "@serial"}})
	if _, err := Elapse(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if tg.Clock.Offset() != time.Hour {
		t.Fatalf("offset %v, want 1h", tg.Clock.Offset())
	}
	// A real site's time is waited for, and a run that ends first makes it
	// could-not-test.
	lab := target.New(&target.Site{})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := lab.Elapse(done, time.Hour)
	if !errors.Is(err, target.ErrNotTested) || !strings.Contains(err.Error(), "real time") {
		t.Fatalf("lab Elapse with the run over: %v", err)
	}
}
