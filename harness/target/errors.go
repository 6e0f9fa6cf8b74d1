package target

import (
	"errors"
	"fmt"
)

// ErrNotTested marks every reason the suite could not test something: a
// safety limit, a refused test credential, a resolver that never answers,
// a run interrupted or out of time. A check that meets one reports ERROR
// ("could not test"), never PASS and never a site FAIL.
var ErrNotTested = errors.New("could not test")

// notTested is a sentinel that is also ErrNotTested.
type notTested struct{ msg string }

func (e notTested) Error() string        { return e.msg }
func (e notTested) Is(target error) bool { return target == ErrNotTested }

// Reasons a check could not test (each matches ErrNotTested).
var (
	// ErrSafetyLimit is returned instead of sending what would break a
	// safety limit of the target file (a probe past max_auth_failures).
	ErrSafetyLimit error = notTested{"target: safety limit reached"}
	// ErrCredentialRefused is returned instead of sending a test user's
	// credential to a host that refused it before: one more refusal could
	// lock the account out.
	ErrCredentialRefused error = notTested{"target: credential refused; not retried to avoid a lockout"}
	// ErrCredentialPolicy is returned instead of sending a credential to a
	// host the target does not name, or without verified TLS.
	ErrCredentialPolicy error = notTested{"target: credential not sent"}
	// ErrNoAnswer is a resolver or host that did not answer in time.
	ErrNoAnswer error = notTested{"target: no answer"}
)

// ErrOutsideSite is a site that hands the client something outside itself
// (an IP literal, a foreign name): the suite does not dial it and the check
// that received it fails, since a real client would follow it.
var ErrOutsideSite = errors.New("target: outside the site")

// NotTested wraps err as a reason the suite could not test.
func NotTested(err error) error {
	if err == nil || errors.Is(err, ErrNotTested) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotTested, err)
}
