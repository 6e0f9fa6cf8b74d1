package certify

import (
	"fmt"
	"html/template"
	"io"
)

// sectionTemplate renders the Summary as one <section>. Its <style> is
// scoped to the section's class so it can sit inside the main report.
const sectionTemplate = `<section class="cutover-hybrid" id="hybrid-certification">
<style>
.cutover-hybrid table { border-collapse: collapse; width: 100%; margin: .3em 0 1em 0; }
.cutover-hybrid th, .cutover-hybrid td { text-align: left; padding: .2em .5em; border-bottom: 1px solid #ddd; vertical-align: top; }
.cutover-hybrid th { background: #f3f3f3; }
.cutover-hybrid td.num, .cutover-hybrid th.num { text-align: right; white-space: nowrap; }
.cutover-hybrid .ok { color: #1b7f2a; font-weight: bold; }
.cutover-hybrid .bad { color: #b3261e; font-weight: bold; }
.cutover-hybrid .meta { color: #555; font-size: .9em; }
.cutover-hybrid code { font-family: ui-monospace, monospace; font-size: .9em; }
.cutover-hybrid .cohorts { display: flex; flex-wrap: wrap; gap: 0 2em; }
.cutover-hybrid .cohorts > div { flex: 1 1 22em; }
</style>
<h2>Hybrid Messaging: user certification</h2>
<p class="meta">{{range $i, $in := .Inputs}}{{if $i}} &middot; {{end}}{{$in}}{{end}}</p>
<p><strong>{{.Users}}</strong> users &middot; <span class="ok">{{.Routable}} routable</span> &middot; <span class="{{if .NotRoutable}}bad{{else}}ok{{end}}">{{.NotRoutable}} not routable</span>{{if .WebexOnly}} ({{.WebexOnly}} only in Control Hub){{end}} &middot; {{.RowErrors}} bad rows{{if .JIDNotEmail}} &middot; {{.JIDNotEmail}} routable users have a JID that is not their email (routed by the connector's Directory URI mapping){{end}}</p>
{{if .ByReason}}<h3>Why users are not routable</h3>
<table><thead><tr><th>Check</th><th>Reason</th><th class="num">Users</th></tr></thead><tbody>
{{range .ByReason}}<tr><td><code>{{.Check}}</code></td><td>{{title .Code}} <span class="meta">(<code>{{.Code}}</code>)</span></td><td class="num">{{.Users}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .ByWarning}}<h3>Warnings (users still route)</h3>
<table><thead><tr><th>Check</th><th>Warning</th><th class="num">Users</th></tr></thead><tbody>
{{range .ByWarning}}<tr><td><code>{{.Check}}</code></td><td>{{title .Code}} <span class="meta">(<code>{{.Code}}</code>)</span></td><td class="num">{{.Users}}</td></tr>
{{end}}</tbody></table>{{end}}
<h3>Cohorts</h3>
<div class="cohorts">
{{template "groups" (dim "Domain" .ByDomain)}}
{{template "groups" (dim "Home cluster" .ByCluster)}}
{{template "groups" (dim "Device types" .ByDevices)}}
{{template "groups" (dim "Enablement" .ByEnablement)}}
</div>
<h3>Scale <span class="meta">(<code>HYB-09</code>)</span></h3>
<p>{{.Scale.HybridUsers}} users enabled for Hybrid Message; an organisation may have {{.Scale.OrgLimit}}: {{if .Scale.Within}}<span class="ok">within the limit</span>{{else}}<span class="bad">over the limit</span>{{end}}.</p>
{{if .Unroutable}}<h3>Not routable users <span class="meta">(first {{len .Unroutable}} of {{.NotRoutable}}; all in hybrid-users.csv)</span></h3>
<table><thead><tr><th>User</th><th>Directory URI / Webex email</th><th>Where</th><th>Reasons</th></tr></thead><tbody>
{{range .Unroutable}}<tr><td>{{if .UserID}}<code>{{.UserID}}</code>{{else}}<span class="meta">(Control Hub only)</span>{{end}}</td><td>{{.DirectoryURI}}{{if .WebexEmail}}{{if .DirectoryURI}}<br>{{end}}{{.WebexEmail}}{{end}}</td><td class="meta">{{.Source}}</td><td>{{range .Reasons}}<code>{{.Check}}</code> {{.Detail}}<br>{{end}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Errors}}<h3>Bad rows <span class="meta">(first {{len .Errors}} of {{.RowErrors}}; all in hybrid-errors.csv)</span></h3>
<table><thead><tr><th>Where</th><th>Reason</th></tr></thead><tbody>
{{range .Errors}}<tr><td class="meta">{{.File}}:{{.Line}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Samples}}<h3>Live checks of sampled users</h3>
<table><thead><tr><th>User</th><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>
{{range .Samples}}{{$u := .Verdict}}{{range .Outcomes}}<tr><td><code>{{$u.UserID}}</code></td><td><code>{{.Check}}</code></td><td>{{if .Pass}}<span class="ok">pass</span>{{else}}<span class="bad">fail</span>{{end}}</td><td>{{.Detail}}</td></tr>
{{end}}{{end}}</tbody></table>{{end}}
{{if .Notes}}<h3>Not checked</h3><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>
{{define "groups"}}<div><table><thead><tr><th>{{.Name}}</th><th class="num">Users</th><th class="num">Routable</th><th class="num">Not routable</th></tr></thead><tbody>
{{range .Top}}<tr><td>{{.Key}}</td><td class="num">{{.Users}}</td><td class="num">{{.Routable}}</td><td class="num">{{.NotRoutable}}</td></tr>
{{end}}{{if .More}}<tr><td class="meta" colspan="4">and {{.More}} more</td></tr>{{end}}</tbody></table></div>{{end}}`

// groupsShown is how many cohorts of each dimension the section lists.
const groupsShown = 15

type dimView struct {
	Name string
	Top  []Group
	More int
}

// title names a reason or warning code for people.
func title(code string) string {
	switch code {
	case ReasonNoEmail:
		return "No email (no Directory URI, no MAIL ID)"
	case ReasonNoDirectoryURI:
		return "Directory URI empty (MAIL ID set)"
	case ReasonBadDirectoryURI:
		return "Directory URI is not an email address"
	case ReasonDirectoryURIMismatch:
		return "Directory URI is not the Webex email"
	case ReasonNotInWebex:
		return "No Webex identity"
	case ReasonNotInUCM:
		return "Webex identity with no UCM user"
	case ReasonDuplicateEmail:
		return "Email shared by several users"
	case ReasonDuplicateJID:
		return "JID shared by several users"
	case ReasonNoJID:
		return "No JID can be formed"
	case ReasonIMPDisabled:
		return "Not enabled for IM and Presence"
	case ReasonHybridDisabled:
		return "Not enabled for Hybrid Message"
	case ReasonNotHomed:
		return "No home cluster"
	case WarnCaseDiffers:
		return "Directory URI and Webex email differ in case only"
	case WarnMailDiffers:
		return "MAIL ID differs from Directory URI"
	case WarnHomedTwice:
		return "Homed on more than one cluster"
	}
	return code
}

// WriteSection writes the HTML section for s.
func WriteSection(w io.Writer, s Summary) error {
	t, err := template.New("hybrid").Funcs(template.FuncMap{
		"title": title,
		"dim": func(name string, g []Group) dimView {
			v := dimView{Name: name, Top: g}
			if len(g) > groupsShown {
				v.Top, v.More = g[:groupsShown], len(g)-groupsShown
			}
			return v
		},
	}).Parse(sectionTemplate)
	if err != nil {
		return fmt.Errorf("certify: section template: %w", err)
	}
	if err := t.Execute(w, s); err != nil {
		return fmt.Errorf("certify: section: %w", err)
	}
	return nil
}
