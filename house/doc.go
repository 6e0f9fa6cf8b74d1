// Package house holds the project's house rules as tests (house_test.go):
// what a review would otherwise have to remember. It has no code.
package house
