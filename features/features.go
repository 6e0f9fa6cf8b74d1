// Package features holds the Gherkin features, one folder per capability,
// embedded in the binary so `cutover run` needs no checkout.
package features

import "embed"

// FS holds every feature file under its capability folder.
//
//go:embed */*.feature
var FS embed.FS
