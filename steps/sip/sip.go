// Package sip holds the steps of SIP OAuth registration (features/sip): thin
// steps that call the harness, with the site data from the target.
package sip

import "example.com/cutover/steps"

// Register adds the sip steps.
func Register(r *steps.Registry) {}
