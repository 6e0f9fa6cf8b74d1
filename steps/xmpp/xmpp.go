// Package xmpp holds the steps of XMPP federation (features/xmpp): thin
// steps that call the harness, with the site data from the target.
package xmpp

import "example.com/cutover/steps"

// Register adds the xmpp steps.
func Register(r *steps.Registry) {}
