// Package sso holds the steps of SSO reuse and OAuth (features/sso): thin
// steps that call the harness, with the site data from the target.
package sso

import "example.com/cutover/steps"

// Register adds the sso steps.
func Register(r *steps.Registry) {}
