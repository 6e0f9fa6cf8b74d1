package containers

import (
	"context"
	"errors"
	"testing"

	"github.com/testcontainers/testcontainers-go"

	"example.com/cutover/harness/target"
)

// TestNoDocker: whether the provider fails or panics (as testcontainers-go
// does in some paths without an engine), the error matches ErrNoDocker and
// target.ErrConfig, so `cutover run --target containers` exits 2.
func TestNoDocker(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func() (*testcontainers.DockerProvider, error)
	}{
		{"provider error", func() (*testcontainers.DockerProvider, error) {
			return nil, errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
		}},
		{"provider panic", func() (*testcontainers.DockerProvider, error) { panic("rootless Docker not found") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := connectWith(context.Background(), tc.new)
			if !errors.Is(err, ErrNoDocker) || !errors.Is(err, target.ErrConfig) {
				t.Errorf("want an error matching ErrNoDocker and target.ErrConfig, got %v", err)
			}
		})
	}
}

func TestAlive(t *testing.T) {
	for _, tc := range []struct {
		pid  string
		want bool
	}{{"1", true}, {"0", false}, {"", false}, {"x", false}, {"-5", false}} {
		if got := alive(tc.pid); got != tc.want {
			t.Errorf("alive(%q): want %t, got %t", tc.pid, tc.want, got)
		}
	}
}
