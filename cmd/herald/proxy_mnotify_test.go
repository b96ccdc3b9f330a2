package main

import (
	"flag"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"herald/steps"
)

func mnotifyFlagsOf(t *testing.T, args ...string) *mnotifyProxyFlags {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := declareMNotifyProxyFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

// --mnotify-role takes SERIAL=ROLE, the serial in hex as MPass names it.
func TestMNotifyRoleFlag(t *testing.T) {
	r := roleFlag{}
	for _, ok := range []string{"1001=sender-a", "0x10:02=sender-b", "ABC=other"} {
		if err := r.Set(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if r["1001"] != "sender-a" || r["1002"] != "sender-b" || r["abc"] != "other" {
		t.Errorf("roles %v", r)
	}
	for _, bad := range []string{"1001", "1001=", "zz=sender-a", "1001=again"} {
		if err := r.Set(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// Without flags the fixtures' certificates map to their roles, and roles
// the target file gives no certificate are named; --mnotify-any-client and
// --mnotify-client-ca need a mapping, and a role mapped must have the
// target file's certificate.
func TestMNotifyMutualTLSFlags(t *testing.T) {
	st := &steps.SystemTarget{Clients: map[string]*http.Client{"": {}, "sender-a": {}, "sender-b": {}}}
	m, missing, err := mnotifyFlagsOf(t).mutualTLS(st)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Roles.Mapped(); len(got) != 6 || !slices.Contains(got, "foreign") || m.DefaultAddr != DefaultProxyMNotifyAddr || m.Clients[""] != nil {
		t.Errorf("default roles %v, addr %s, clients %v", got, m.DefaultAddr, m.Clients)
	}
	if strings.Join(missing, ",") != "expired,foreign,revoked,unregistered" {
		t.Errorf("missing %v", missing)
	}
	m, _, err = mnotifyFlagsOf(t, "--mnotify-role", "1001=sender-a").mutualTLS(st)
	if err != nil || m.Roles.CAs == nil || m.Roles.Serials["1001"] != "sender-a" || len(m.Roles.Certificates) != 0 {
		t.Errorf("by serial: %+v, %v", m, err)
	}
	for args, want := range map[string]string{
		"--mnotify-any-client":             "must still map to a role",
		"--mnotify-client-ca=ca.pem":       "must still map to a role",
		"--mnotify-role=1003=unregistered": "gives role unregistered no certificate",
		"--mnotify-role=1001=sender-a --mnotify-client-ca=does-not-exist.pem": "--mnotify-client-ca",
	} {
		if _, _, err := mnotifyFlagsOf(t, strings.Fields(args)...).mutualTLS(st); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", args, err)
		}
	}
}
