package clock

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	var real *Clock
	if real.Offset() != 0 {
		t.Fatal("nil clock has an offset")
	}
	c := New(time.Hour)
	before := time.Now()
	if got := c.Now(); got.Before(before.Add(time.Hour)) {
		t.Fatalf("Now %v is not an hour ahead of %v", got, before)
	}
	c.Advance(-2 * time.Hour)
	if c.Offset() != -time.Hour {
		t.Fatalf("offset %v, want -1h", c.Offset())
	}
	if !c.Now().Before(time.Now()) {
		t.Fatal("a clock an hour behind is not behind")
	}
}
