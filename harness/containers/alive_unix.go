//go:build unix

package containers

import (
	"errors"
	"strconv"
	"syscall"
)

// alive reports whether the process pid may still run (signal 0 reaches
// it, or it exists but belongs to someone else). A pid reused by an
// unrelated process counts as alive: the sweep errs on the safe side.
func alive(pid string) bool {
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	err = syscall.Kill(n, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
