// Package hybrid holds the steps of Hybrid Messaging (features/hybrid): thin
// steps that call the harness, with the site data from the target.
package hybrid

import "example.com/cutover/steps"

// Register adds the hybrid steps.
func Register(r *steps.Registry) {}
