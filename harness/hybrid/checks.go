package hybrid

import "time"

// Check is one HYB check: what it certifies, its public source, and the
// faults that must make it fail.
type Check struct {
	ID       string
	Title    string
	Source   string
	Severity string
	// Bulk says `cutover certify` reports it per user from the exports
	// too (reason codes in certify.Check).
	Bulk bool
}

// Sources, cited by public title.
const (
	srcTransition = `Cisco, "Collaboration Transitions – Clients: Transitioning from Jabber to Webex", Enable Hybrid Messaging Service`
	srcHMDG       = `Cisco, "Deployment Guide for Hybrid Message Service"`
	srcFederation = `Webex help article n8gtpu7, "SIP or XMPP Interdomain Federation for Webex"`
	srcRFC5321    = `RFC 5321 §2.4 (local-part case) with Control Hub's case-insensitive user IDs`
)

// Checks lists HYB-01 to HYB-14. HYB-01..09 are the first nine checks;
// HYB-10..14 are proposed here.
func Checks() []Check {
	return []Check{
		{"HYB-01", "each test user's Directory URI equals their Webex email", srcTransition, "critical", true},
		{"HYB-02", "a user without email (Directory URI) is named unroutable", srcTransition + " (users with no email in UCM are never matched: unconfirmed)", "critical", true},
		{"HYB-03", "Jabber to Webex text reaches the email identity and the reply reaches the JID", srcTransition + "; " + srcHMDG, "critical", false},
		{"HYB-04", "a user whose JID is not their email still routes both ways", srcTransition, "critical", true},
		{"HYB-05", "a Directory URI change routes to the new email within 10 minutes", srcHMDG, "major", false},
		{"HYB-06", "group chat, rich text and Jabber to Webex files are reported as not bridged, not lost", srcHMDG, "major", false},
		{"HYB-07", "Webex presence reaches Jabber within the 10-minute poll (Available, Away to 72 h, then offline); Jabber presence never reaches Webex", srcHMDG + "; " + srcFederation, "minor", false},
		{"HYB-08", "each test user is enabled on both sides (IM and Presence, Hybrid Message)", srcTransition, "critical", true},
		{"HYB-09", "the topology is within the scale limits (195,000 users, 5 IM&P clusters per connector cluster, one connector cluster per IM&P cluster, node and cluster capacities)", srcHMDG, "major", true},
		{"HYB-10", "no two users claim one email (Directory URI or Control Hub row)", srcTransition + " (the connector maps JID to Directory URI one to one)", "critical", true},
		{"HYB-11", "a file sent from Webex reaches Jabber as a link", srcHMDG, "minor", false},
		{"HYB-12", "each test user exists on both sides (an IM&P JID and a Webex identity)", srcTransition, "critical", true},
		{"HYB-13", "a message the connector cannot map is reported to the sender, not lost", srcHMDG + " (reporting behaviour: harness requirement)", "major", false},
		{"HYB-14", "a Directory URI that differs from the Webex email in case only still routes", srcRFC5321, "major", true},
	}
}

// Fault is one named fault of the embedded site and the exact checks it
// must fail (TestFaultKillLists holds the probes to it).
type Fault struct {
	Name   string
	Option Option
	Kills  []string
}

// Faults is the site's fault catalogue.
func Faults() []Fault {
	return []Fault{
		{"UserWithoutEmail(erin)", UserWithoutEmail("erin"), []string{"HYB-02"}},
		{"DirectoryURIMismatch(erin)", DirectoryURIMismatch("erin", "e.smith@example.com"), []string{"HYB-01"}},
		{"DirectoryURIMismatch(dave)", DirectoryURIMismatch("dave", "d.jones@example.com"), []string{"HYB-01", "HYB-03", "HYB-11"}},
		{"DuplicateEmail(erin, ivan)", DuplicateEmail("erin", "ivan"), []string{"HYB-01", "HYB-10"}},
		{"OneSidedEnablement(erin, IM&P)", OneSidedEnablement("erin", SideIMP), []string{"HYB-08"}},
		{"OneSidedEnablement(erin, Webex)", OneSidedEnablement("erin", SideWebex), []string{"HYB-08"}},
		{"MissingWebexIdentity(erin)", MissingWebexIdentity("erin"), []string{"HYB-12"}},
		{"JIDAsEmail", JIDAsEmail(), []string{"HYB-04", "HYB-05"}},
		{"CaseSensitiveEmail", CaseSensitiveEmail(), []string{"HYB-14"}},
		{"OneWayBridge", OneWayBridge(), []string{"HYB-03", "HYB-04", "HYB-11", "HYB-14"}},
		{"BridgeGroupChatSilently", BridgeGroupChatSilently(), []string{"HYB-06"}},
		{"DropFilesSilently", DropFilesSilently(), []string{"HYB-06"}},
		{"DropRichTextSilently", DropRichTextSilently(), []string{"HYB-06"}},
		{"DropUnroutableSilently", DropUnroutableSilently(), []string{"HYB-13"}},
		{"DropWebexFileLinks", DropWebexFileLinks(), []string{"HYB-11"}},
		{"PushJabberPresence", PushJabberPresence(), []string{"HYB-07"}},
		{"PresencePollInterval(30m)", PresencePollInterval(30 * time.Minute), []string{"HYB-07"}},
		{"DirectorySyncInterval(1h)", DirectorySyncInterval(time.Hour), []string{"HYB-05"}},
		{"OversizedTopology", OversizedTopology(), []string{"HYB-09"}},
	}
}
