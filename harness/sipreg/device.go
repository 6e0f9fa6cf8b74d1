package sipreg

import (
	"fmt"
	"strings"
)

// DeviceType is a UCM softphone device type the Webex App registers as
// (Cisco "Collaboration Transitions – Clients: Transitioning from Jabber to
// Webex", Table 4). Its string is the device name prefix.
type DeviceType string

// The four softphone device types.
const (
	// CSF is Cisco Unified Client Services Framework (Windows, Mac).
	CSF DeviceType = "CSF"
	// BOT is Cisco Dual Mode for Android (Android phone).
	BOT DeviceType = "BOT"
	// TCT is Cisco Dual Mode for iPhone.
	TCT DeviceType = "TCT"
	// TAB is Cisco Jabber for Tablet (Android tablet, iPad).
	TAB DeviceType = "TAB"
)

// DeviceTypes lists the four types in a stable order.
func DeviceTypes() []DeviceType { return []DeviceType{CSF, BOT, TCT, TAB} }

// ParseDeviceType accepts "CSF", "bot", ...
func ParseDeviceType(s string) (DeviceType, error) {
	t := DeviceType(strings.ToUpper(strings.TrimSpace(s)))
	switch t {
	case CSF, BOT, TCT, TAB:
		return t, nil
	}
	return "", fmt.Errorf("sipreg: unknown device type %q (want CSF, BOT, TCT or TAB)", s)
}

// DeviceTypeOf tells the type from a device name's prefix ("CSFalice").
func DeviceTypeOf(deviceName string) (DeviceType, bool) {
	if len(deviceName) < 3 {
		return "", false
	}
	t, err := ParseDeviceType(deviceName[:3])
	return t, err == nil
}

// Product is UCM's product name for the type.
func (t DeviceType) Product() string {
	switch t {
	case CSF:
		return "Cisco Unified Client Services Framework"
	case BOT:
		return "Cisco Dual Mode for Android"
	case TCT:
		return "Cisco Dual Mode for iPhone"
	case TAB:
		return "Cisco Jabber for Tablet"
	}
	return ""
}

// Model is the value of +u.sip!model.ccm.cisco.com: UCM's typemodel enum
// for the product (503 for CSF as in TN215572's sample REGISTER; 575, 562
// and 652 for the others, from the UCM data dictionary's typemodel table).
func (t DeviceType) Model() string {
	switch t {
	case CSF:
		return "503"
	case BOT:
		return "575"
	case TCT:
		return "562"
	case TAB:
		return "652"
	}
	return ""
}

// UserAgent is the User-Agent the client sends: "Cisco-CSF" (TN215572),
// "Cisco-SOUNDWAVE" for the Android phone and "Cisco-TAB" for tablets
// (Cisco document 201013 "Configure Jabber for Android to Register as BOT
// or TAB Device"), "Cisco-TCT" for the iPhone (Cisco document 217615
// "Configure and Log Analysis of Jabber E911").
func (t DeviceType) UserAgent() string {
	switch t {
	case CSF:
		return "Cisco-CSF"
	case BOT:
		return "Cisco-SOUNDWAVE"
	case TCT:
		return "Cisco-TCT"
	case TAB:
		return "Cisco-TAB"
	}
	return ""
}

// Platforms names the operating systems that use the type (Table 4).
func (t DeviceType) Platforms() []string {
	switch t {
	case CSF:
		return []string{"Windows", "Mac"}
	case BOT:
		return []string{"Android phone"}
	case TCT:
		return []string{"iPhone"}
	case TAB:
		return []string{"Android tablet", "iPad"}
	}
	return nil
}

// DeviceName is the conventional device name for a user: the prefix
// plus the user ID, upper-cased for BOT, TCT and TAB (UCM wants those
// names in capitals), kept as is for CSF ("CSFalice", "BOTALICE").
func (t DeviceType) DeviceName(user string) string {
	if t == CSF {
		return string(t) + user
	}
	return string(t) + strings.ToUpper(user)
}
