package export

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

type ucmResult struct {
	users []UCMUser
	bad   []RowError
}

func readAllUCM(t *testing.T, in string, opts ...Option) (ucmResult, error) {
	t.Helper()
	r, err := NewUCMReader(strings.NewReader(in), "users.csv", opts...)
	if err != nil {
		return ucmResult{}, err
	}
	var out ucmResult
	for i := 0; i < len(in)+10; i++ {
		u, err := r.Next()
		var re *RowError
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case errors.As(err, &re):
			out.bad = append(out.bad, *re)
		case err != nil:
			return out, err
		default:
			out.users = append(out.users, u)
		}
	}
	t.Fatalf("Next did not reach EOF on %q", in)
	return out, nil
}

const ucmHeader = "FIRST NAME,LAST NAME,USER ID,MAIL ID,DIRECTORY URI,HOME CLUSTER,ENABLE USER FOR UNIFIED CM IM AND PRESENCE,ASSIGNED PRESENCE SERVER,CONTROLLED DEVICE 1,CONTROLLED DEVICE 2\n"

func TestUCMReader(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		users []UCMUser
		bad   []RowError
	}{
		{"plain", ucmHeader + "Alice,Smith,alice,alice@example.com,alice@example.com,t,t,imp1.example.com,CSFALICE,\n",
			[]UCMUser{{Line: 2, UserID: "alice", Mail: "alice@example.com", DirectoryURI: "alice@example.com", Home: true, IMPEnabled: true,
				PresenceServer: "imp1.example.com", Devices: []string{"CSFALICE"}}}, nil},
		{"BOM, CRLF, columns in another order, extra columns, other case",
			"\uFEFFcontrolled device 1,Directory URI,User Id,Mail Id,PIN,home cluster\r\nTCTBOB,bob@example.com,bob,bob@example.com,1234,f\r\n",
			[]UCMUser{{Line: 2, UserID: "bob", Mail: "bob@example.com", DirectoryURI: "bob@example.com", Home: false, IMPEnabled: true,
				Devices: []string{"TCTBOB"}}}, nil},
		{"quoted commas, quotes and line breaks keep line numbers",
			ucmHeader + "\"Smith, Jr.\",\"O\"\"Neil\nsecond line\",carol,carol@example.com,carol@example.com,t,t,,,\n" +
				"Dan,Doe,dan,dan@example.com,dan@example.com,t,f,,,\n",
			[]UCMUser{
				{Line: 2, UserID: "carol", Mail: "carol@example.com", DirectoryURI: "carol@example.com", Home: true, IMPEnabled: true},
				{Line: 4, UserID: "dan", Mail: "dan@example.com", DirectoryURI: "dan@example.com", Home: true, IMPEnabled: false},
			}, nil},
		{"wrong field count, then a good row",
			ucmHeader + "A,B,short\nE,F,erin,erin@example.com,erin@example.com,t,t,,,\n",
			[]UCMUser{{Line: 3, UserID: "erin", Mail: "erin@example.com", DirectoryURI: "erin@example.com", Home: true, IMPEnabled: true}},
			[]RowError{{File: "users.csv", Line: 2, Reason: "3 fields, the header has 10"}}},
		{"invalid UTF-8 and NUL",
			ucmHeader + "A,B,x\xff,x@example.com,x@example.com,t,t,,,\nA,B,y\x00,y@example.com,y@example.com,t,t,,,\n",
			nil,
			[]RowError{{File: "users.csv", Line: 2, Reason: `column "USER ID": invalid UTF-8`},
				{File: "users.csv", Line: 3, Reason: `column "USER ID": binary data (NUL byte)`}}},
		{"unterminated quote costs one line",
			ucmHeader + "\"A,B,x,x@example.com,x@example.com,t,t,,,\nF,G,fay,fay@example.com,fay@example.com,t,t,,,\n",
			[]UCMUser{{Line: 3, UserID: "fay", Mail: "fay@example.com", DirectoryURI: "fay@example.com", Home: true, IMPEnabled: true}},
			[]RowError{{File: "users.csv", Line: 2, Reason: "quoted field not terminated"}}},
		{"bad boolean and empty user id",
			ucmHeader + "A,B,gus,g@example.com,g@example.com,maybe,t,,,\nA,B,,h@example.com,h@example.com,t,t,,,\n",
			nil,
			[]RowError{{File: "users.csv", Line: 2, Reason: `HOME CLUSTER: "maybe" is not a boolean (want TRUE or FALSE)`},
				{File: "users.csv", Line: 3, Reason: "empty USER ID"}}},
		{"blank lines skipped, no trailing newline",
			ucmHeader + "\n\r\nA,B,hal,hal@example.com,,t,t,,,",
			[]UCMUser{{Line: 4, UserID: "hal", Mail: "hal@example.com", Home: true, IMPEnabled: true}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAllUCM(t, tc.in)
			if err != nil {
				t.Fatalf("read %q: %v", tc.in, err)
			}
			if !reflect.DeepEqual(got.users, tc.users) {
				t.Errorf("users of %q:\n got %+v\nwant %+v", tc.in, got.users, tc.users)
			}
			if !reflect.DeepEqual(got.bad, tc.bad) {
				t.Errorf("row errors of %q:\n got %+v\nwant %+v", tc.in, got.bad, tc.bad)
			}
		})
	}
}

func TestHugeFieldAndRecord(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	in := ucmHeader + "A,B," + big + ",x@example.com,x@example.com,t,t,,,\n" +
		"A,\"" + big + "\",y,y@example.com,y@example.com,t,t,,,\n" +
		"A,B,zed,z@example.com,z@example.com,t,t,,,\n"
	got, err := readAllUCM(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.users) != 1 || got.users[0].UserID != "zed" || got.users[0].Line != 4 {
		t.Errorf("users after two 1 MiB fields: %+v", got.users)
	}
	if len(got.bad) != 2 || got.bad[0].Line != 2 || got.bad[1].Line != 3 {
		t.Fatalf("row errors: %+v", got.bad)
	}
	for _, b := range got.bad {
		if !strings.Contains(b.Reason, "more than") {
			t.Errorf("reason %q does not say the limit", b.Reason)
		}
	}
}

func TestNotCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
		reason   string
	}{
		{"empty", "", ErrNotCSV, "empty file"},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00", ErrNotCSV, "NUL byte"},
		{"UTF-16", "\xff\xfeU\x00S\x00", ErrNotCSV, "UTF-16"},
		{"xlsx", "PK\x03\x04\x14\x00", ErrNotCSV, "ZIP"},
		{"gzip", "\x1f\x8b\x08\x00", ErrNotCSV, "gzip"},
		{"prose", "Dear colleague, please find attached\n", ErrColumns, `no column "USER ID"`},
		{"one column", "hello\nworld\n", ErrNotCSV, "the first row has 1 field"},
		{"header never closes its quote", "\"USER ID,MAIL ID\n", ErrNotCSV, "quoted field not terminated"},
		{"no Directory URI", "USER ID,MAIL ID\nalice,alice@example.com\n", ErrColumns, `no column "DIRECTORY URI"`},
		{"twice", "USER ID,MAIL ID,DIRECTORY URI,mail id\n", ErrColumns, "appears 2 times"},
		{"blank lines only", "\n\n\r\n", ErrNotCSV, "no header row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewUCMReader(strings.NewReader(tc.in), "in.csv")
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.reason) || !strings.Contains(err.Error(), "in.csv") {
				t.Fatalf("NewUCMReader(%q) = %v, want %v mentioning %q and the file", tc.in, err, tc.want, tc.reason)
			}
		})
	}
}

func TestWebexReader(t *testing.T) {
	in := "\uFEFFFirst Name,Last Name,Display Name,User ID/Email (Required),User Status,Hybrid Calendar Service (Exchange),Hybrid Message Service (Suspended)\r\n" +
		"Alice,Smith,\"Smith, Alice\",Alice@Example.com,Active,FALSE,TRUE\r\n" +
		"Bob,Jones,Bob,bob@example.com,Not Verified,TRUE,\r\n" +
		"Bad,Row,x,x@example.com,Active,TRUE,perhaps\r\n"
	r, err := NewWebexReader(strings.NewReader(in), "ch.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got []WebexUser
	var bad []string
	for {
		u, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, ErrRow) {
			bad = append(bad, err.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, u)
	}
	want := []WebexUser{
		{Line: 2, Email: "Alice@Example.com", Status: "Active", HybridMessage: true},
		{Line: 3, Email: "bob@example.com", Status: "Not Verified"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if len(bad) != 1 || !strings.HasPrefix(bad[0], "ch.csv:4: Hybrid Message Service (Suspended): ") {
		t.Errorf("row errors %q", bad)
	}
	if _, err := NewWebexReader(strings.NewReader("First Name,User ID/Email (Required)\nA,a@example.com\n"), "attrs.csv"); !errors.Is(err, ErrColumns) ||
		!strings.Contains(err.Error(), "User licenses") {
		t.Errorf("export without licenses: %v", err)
	}
	alias := "Prénom,ID utilisateur/e-mail (obligatoire),Service de messagerie hybride\nA,a@example.com,VRAI\n"
	if _, err := NewWebexReader(strings.NewReader(alias), "fr.csv",
		WithColumnNames(WebexEmail, "ID utilisateur/e-mail (obligatoire)"),
		WithColumnNames(WebexHybridMessage, "Service de messagerie hybride")); err != nil {
		t.Errorf("localised header with aliases: %v", err)
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"t": true, "TRUE": true, "True": true, "f": false, "FALSE": false, "": false, " 1 ": true} {
		if got, err := parseBool(in); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := parseBool("VRAI"); err == nil {
		t.Error("parseBool(VRAI) accepted")
	}
}

func TestWriterLines(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, []string{"USER ID", "MAIL ID", "DIRECTORY URI"}, true, true)
	if err != nil {
		t.Fatal(err)
	}
	l1, _ := w.Write([]string{"a", "two\nlines", "a@example.com"})
	l2, _ := w.WriteRaw("broken,\"row\r\n")
	l3, _ := w.Write([]string{"b", "b@example.com", "b@example.com"})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if l1 != 2 || l2 != 4 || l3 != 5 {
		t.Fatalf("lines %d %d %d, want 2 4 5", l1, l2, l3)
	}
	got, err := readAllUCM(t, buf.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.users) != 2 || got.users[0].Line != 2 || got.users[1].Line != 5 || len(got.bad) != 1 || got.bad[0].Line != 4 {
		t.Errorf("read back %+v", got)
	}
}
