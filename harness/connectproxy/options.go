package connectproxy

import (
	"errors"
	"time"
)

// Option configures a Server; errors surface from Start.
type Option func(*config) error

type config struct {
	addr    string
	timeout time.Duration
}

func defaultConfig() config {
	return config{addr: "127.0.0.1:0", timeout: 10 * time.Second}
}

// WithAddr sets the listen address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { c.addr = addr; return nil }
}

// WithTimeout bounds reading the request and dialling the target; default 10s.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("WithTimeout: must be positive")
		}
		c.timeout = d
		return nil
	}
}
