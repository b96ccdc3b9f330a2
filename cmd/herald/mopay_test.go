package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A real Mopay (here a Herald's, as a real deployment) with its account
// given as a QA team gives it runs every read-only scenario without
// --allow-mutating: as an email and password, and as an issued key pair.
// Without an account, those scenarios are left out, naming the flags.
func TestRealMopayWithAnAccount(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	mopayURL := base + "/mopay/"
	ran := func(env []string, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"test", "--mopay-url", mopayURL, "--format", "progress"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if exitCode(err) != 0 {
			t.Fatalf("herald test %v: exit %d\n%s", args, exitCode(err), out)
		}
		m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out))
		if m == nil || m[1] != m[2] {
			t.Fatalf("herald test %v: not every scenario passed\n%s", args, out)
		}
		n, _ := strconv.Atoi(m[1])
		return n, string(out)
	}

	withPassword, out := ran([]string{"HERALD_MOPAY_PASSWORD=Notices2023"}, "--mopay-email", "amara.okafor@example.com")
	if withPassword < 40 || !strings.Contains(out, "@mutating: they create or change data") {
		t.Fatalf("with an email and password, %d scenarios ran:\n%s", withPassword, out)
	}

	resp, err := http.Post(mopayURL+"user_profile_login", "application/json",
		strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"qa","devn":"QA"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		DATA struct{ UserID, PbcKey, Secret string }
	}
	err = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	if err != nil || login.DATA.Secret == "" {
		t.Fatalf("login: %v", err)
	}
	withKey, out := ran([]string{"HERALD_MOPAY_SECRET=" + login.DATA.Secret}, "--mopay-key", login.DATA.PbcKey, "--mopay-userid", login.DATA.UserID)
	if withKey < 40 || !strings.Contains(out, "@mopay-login: they log in with the account's email and password, and the target gives only an issued key pair") {
		t.Fatalf("with an issued key pair, %d scenarios ran:\n%s", withKey, out)
	}
	if strings.Contains(out, login.DATA.Secret) {
		t.Fatal("the output shows the secret")
	}

	without, out := ran(nil)
	if without >= withKey || !strings.Contains(out, "@mopay-account: they sign in to a Mopay account, and the target gives none (--mopay-email and HERALD_MOPAY_PASSWORD, or --mopay-key and HERALD_MOPAY_SECRET)") {
		t.Fatalf("without an account, %d scenarios ran:\n%s", without, out)
	}
}

// A bad boolean is refused before the run, from every source, naming where
// it came from and what is accepted: it no longer means false.
func TestBadBooleansAreRefused(t *testing.T) {
	dir := t.TempDir()
	yes := filepath.Join(dir, "yes.yaml")
	if err := os.WriteFile(yes, []byte("systems:\n  mopay:\n    url: http://127.0.0.1:1/mopay/\n    params:\n      req-form: yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(plain, []byte("systems:\n  mopay:\n    url: http://127.0.0.1:1/mopay/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"target file", "", []string{"--target", yes},
			"herald test: target " + yes + ": mopay: systems.mopay.params.req-form is \"yes\": want true or false\n"},
		{"--set", "", []string{"--target", plain, "--set", "systems.mopay.params.req-form=maybe"},
			"herald test: target " + plain + ": mopay: systems.mopay.params.req-form is \"maybe\": want true or false\n"},
		{"env", "1", []string{"--mopay-url", "http://127.0.0.1:1/mopay/"},
			"herald test: HERALD_MOPAY_REQ_FORM is \"1\": want true or false\n"},
		{"flag", "", []string{"--mopay-url", "http://127.0.0.1:1/mopay/", "--mopay-req-form=1"},
			"herald test: invalid boolean value \"1\" for -mopay-req-form: want true or false\nrun 'herald test -h' for help\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("HERALD_MOPAY_REQ_FORM", c.env)
			var out, errOut bytes.Buffer
			if code := run(append([]string{"test"}, c.args...), &out, &errOut); code != 2 || errOut.String() != c.want {
				t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, errOut.String(), c.want)
			}
		})
	}
}

// A real deployment given by a URL where nothing answers is refused before
// the run, in one line naming the system, the URL and where it was given,
// rather than failing every scenario with the same "connection refused".
func TestUnreachableSystemURLIsOneLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(file, []byte("systems:\n  mopay:\n    url: http://127.0.0.1:1/mopay/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HERALD_MOPAY_URL", "")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"flag", []string{"--mopay-url", "http://127.0.0.1:1/", "--mopay-email", "a@b.c", "--mopay-password", "x"},
			"herald test: mopay: nothing answers at http://127.0.0.1:1/ (given by --mopay-url or HERALD_MOPAY_URL): "},
		{"target file", []string{"--target", file},
			"herald test: mopay: nothing answers at http://127.0.0.1:1/mopay/ (given by systems.mopay.url in " + file + "): "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"test"}, c.args...), &out, &errOut)
			if code != 1 || !strings.HasPrefix(errOut.String(), c.want) || strings.Count(errOut.String(), "\n") != 1 || out.Len() != 0 {
				t.Errorf("exit %d, stdout %d bytes, stderr\n%s\nwant one line starting\n%s", code, out.Len(), errOut.String(), c.want)
			}
		})
	}
}

// A Mopay account whose sign-in is refused (a wrong password) fails the
// first scenario that signs in with the refusal, and every later one at
// once with one message naming the flags that fix it, rather than sending
// (and failing) the same refused login in every scenario.
func TestRefusedMopayLoginIsToldOnce(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	cmd := exec.Command(bin, "test", "--mopay-url", base+"/mopay/", "--mopay-email", "amara.okafor@example.com", "--format", "progress")
	cmd.Env = append(os.Environ(), "HERALD_MOPAY_PASSWORD=wrong")
	out, err := cmd.CombinedOutput()
	const told = "the Mopay account's sign-in was refused earlier in this run (the login answered 401 login_failed): check --mopay-email and HERALD_MOPAY_PASSWORD (or --mopay-key and HERALD_MOPAY_SECRET)"
	refused := strings.Count(string(out), "user_profile_login answered 401")
	if exitCode(err) != 1 || refused != 1 || !strings.Contains(string(out), told) {
		t.Fatalf("exit %d, %d scenarios were refused the login (want 1), and the later failures do not say %q:\n%s", exitCode(err), refused, told, out)
	}
}
