//go:build !unix

package target_test

import "errors"

func mkfifo(string) error { return errors.New("FIFOs are a unix thing") }
