package export

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzUCMReader holds the UCM reader to its promises on any input: no
// panic; NewUCMReader fails only with ErrNotCSV or ErrColumns; Next ends
// with io.EOF after at most one call per input byte, and every other error
// is a *RowError (errors.Is ErrRow) whose lines never go backwards; and
// the good rows re-encode stably (EncodeUCM then reading again gives the
// same users). Seeds: testdata/fuzz/FuzzUCMReader.
func FuzzUCMReader(f *testing.F) {
	f.Add([]byte(ucmHeader + "Alice,Smith,alice,alice@example.com,alice@example.com,t,t,imp1.example.com,CSFALICE,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		users := fuzzRead(t, data, func(r io.Reader) (func() (UCMUser, error), error) {
			u, err := NewUCMReader(r, "f.csv", WithMaxField(512), WithMaxRecord(4096))
			if err != nil {
				return nil, err
			}
			return u.Next, nil
		}, func(u UCMUser) int { return u.Line })
		if users == nil {
			return
		}
		for i := range users {
			users[i].Line = 0
		}
		var buf bytes.Buffer
		if err := EncodeUCM(&buf, users); err != nil {
			t.Fatalf("EncodeUCM: %v", err)
		}
		again := fuzzRead(t, buf.Bytes(), func(r io.Reader) (func() (UCMUser, error), error) {
			u, err := NewUCMReader(r, "again.csv")
			if err != nil {
				return nil, err
			}
			return u.Next, nil
		}, func(u UCMUser) int { return u.Line })
		for i := range again {
			again[i].Line = 0
		}
		if !reflect.DeepEqual(nonNil(again), nonNil(users)) {
			t.Fatalf("re-encoded %q reads as\n%+v\nwant\n%+v", buf.String(), again, users)
		}
	})
}

// FuzzWebexReader is FuzzUCMReader for the Control Hub export: no panic,
// errors wrap ErrNotCSV, ErrColumns or ErrRow, good rows re-encode stably.
func FuzzWebexReader(f *testing.F) {
	f.Add([]byte("User ID/Email (Required),User Status,Hybrid Message Service\r\nalice@example.com,Active,TRUE\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		users := fuzzRead(t, data, func(r io.Reader) (func() (WebexUser, error), error) {
			w, err := NewWebexReader(r, "f.csv", WithMaxField(512), WithMaxRecord(4096))
			if err != nil {
				return nil, err
			}
			return w.Next, nil
		}, func(u WebexUser) int { return u.Line })
		if users == nil {
			return
		}
		for i := range users {
			users[i].Line = 0
		}
		var buf bytes.Buffer
		if err := EncodeWebex(&buf, users); err != nil {
			t.Fatalf("EncodeWebex: %v", err)
		}
		again := fuzzRead(t, buf.Bytes(), func(r io.Reader) (func() (WebexUser, error), error) {
			w, err := NewWebexReader(r, "again.csv")
			if err != nil {
				return nil, err
			}
			return w.Next, nil
		}, func(u WebexUser) int { return u.Line })
		for i := range again {
			again[i].Line = 0
		}
		if !reflect.DeepEqual(nonNil(again), nonNil(users)) {
			t.Fatalf("re-encoded %q reads as\n%+v\nwant\n%+v", buf.String(), again, users)
		}
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fuzzRead reads every row; nil means the file was refused.
func fuzzRead[T any](t *testing.T, data []byte, open func(io.Reader) (func() (T, error), error), line func(T) int) []T {
	t.Helper()
	next, err := open(bytes.NewReader(data))
	if err != nil {
		if !errors.Is(err, ErrNotCSV) && !errors.Is(err, ErrColumns) {
			t.Fatalf("open %q: error %v wraps neither ErrNotCSV nor ErrColumns", data, err)
		}
		return nil
	}
	out := []T{}
	last := 0
	for i := 0; ; i++ {
		if i > len(data)+2 {
			t.Fatalf("%q: more than %d calls to Next", data, i)
		}
		u, err := next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) || !errors.Is(err, ErrRow) {
				t.Fatalf("%q: Next error %v is not a *RowError", data, err)
			}
			if re.Line < last || re.Line < 2 {
				t.Fatalf("%q: row error at line %d after line %d", data, re.Line, last)
			}
			last = re.Line
			continue
		}
		if l := line(u); l < last || l < 2 {
			t.Fatalf("%q: row at line %d after line %d", data, l, last)
		} else {
			last = l
		}
		out = append(out, u)
	}
}
