//go:build race

package runner_test

// raceDetector: the tests run under the race detector (go test -race).
const raceDetector = true
