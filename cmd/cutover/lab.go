package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/runner"
	"example.com/cutover/harness/target"
)

func newLabCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Work with lab targets (real systems) before a run",
	}
	cmd.AddCommand(newLabPlanCmd())
	return cmd
}

func newLabPlanCmd() *cobra.Command {
	var spec string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print what a run against the target may contact, sending nothing",
		Long: `Print, before anything is sent, what a run against the target may contact:
the resolver and proxy of each vantage, every host the target names and what
for, which of them may receive a test user's credential, the domains under
which a name the site hands over may be followed, and the limits in force
(rate, packets per host, authentication failures left before the lockout
threshold, timeouts). A run sends nothing outside the plan and no host more
than its budget; the run's record (results.json "contacts") says what it
actually sent.

For a lab target file nothing is sent at all. For embedded or containers the
fakes are started on loopback to learn their addresses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var t *target.Target
			site, err := loadSpec(spec)
			if err != nil {
				return err
			}
			if site != nil && !site.Fake() {
				t = target.New(site, target.WithAuthState(target.DefaultStateDir()))
			} else {
				t, err = runner.Open(cmd.Context(), spec, fakesite.Options{})
				if err != nil {
					return err
				}
				defer t.Close()
			}
			p := t.Plan()
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), p)
			}
			return p.Write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&spec, "target", runner.BuiltinEmbedded, `"embedded", "containers" or a target file`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// loadSpec loads a target file; nil for the built-in targets.
func loadSpec(spec string) (*target.Site, error) {
	if spec == runner.BuiltinEmbedded || spec == runner.BuiltinContainers || spec == "" {
		return nil, nil
	}
	site, err := target.LoadFile(spec, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return site, nil
}
