package main

import (
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"herald/specs/wire/monnet"
	monnetsteps "herald/steps/monnet"
)

const monnetUsage = `Usage:
  herald monnet verify (--cert FILE | --pubkey FILE) --merchant-id ID --signature SIG < body
  herald monnet check-receiver --url URL --merchant-id ID [--key FILE] [--format FORMATS] [--timeout D]

verify checks a Monnet payout notification's signature as a merchant's receiver
must; check-receiver tests a merchant's notification receiver. Run "herald
monnet verify -h" or "herald monnet check-receiver -h" for their flags.
`

const verifyHelp = `Usage: herald monnet verify (--cert FILE | --pubkey FILE) --merchant-id ID --signature SIG < body

Checks a Monnet payout notification as a merchant's receiver must: the
signature (the value of the notification's "verification" header) must be a
base64 RSASSA-PKCS1-v1_5 SHA-256 signature, by the key of the notifier
certificate, over the UTF-8 merchant id immediately followed by the raw body
bytes read from standard input (byte for byte: no newline is added or
removed).

  --cert FILE         the notifier certificate (PEM), as Monnet hands it over
  --pubkey FILE       or the public key: PEM, or the bare base64 key of Monnet's Java sample
  --merchant-id ID    your Monnet merchant id (the signed content starts with it)
  --signature SIG     the verification header value

Exit status: 0 the signature verifies, 1 it does not, 2 usage or input errors.
`

const checkReceiverHelp = `Usage: herald monnet check-receiver --url URL --merchant-id ID [--key FILE] [--format FORMATS] [--timeout D]

Tests a merchant's notification receiver: it POSTs a valid notification of
every outcome (SUCCESS and each REJECTED status), a byte-identical
redelivery of the SUCCESS one (a correct receiver acknowledges it: the
signature has no timestamp, so a redelivery is no forgery), and each
negative fixture (tampered body, signature without the merchant id prefix,
for another merchant id, by another key, missing or empty header, body
re-serialised). It reports, case by case, whether the receiver answered as
it must: a 2xx for the valid ones and the redelivery, a non-2xx status for
the forged ones.

  --url URL           the receiver
  --merchant-id ID    the merchant whose notifications it takes
  --key FILE          PEM private key to sign with (default: Herald's notifier key, whose
                      certificate a Herald serves at /_herald/v1/monnet/notifier/certificate;
                      install that certificate in the receiver under test)
  --format FORMATS    report formats: pretty (default), progress, junit:FILE,
                      cucumber:FILE, comma-separated or repeated
  --timeout D         how long to wait for each answer (default 10s)

Exit status: 0 every answer right, 1 a wrong answer, 2 usage errors.
`

// monnetUsageError writes a usage error of a herald monnet command: the
// error, and where its help is.
func monnetUsageError(stderr io.Writer, cmd, format string, a ...any) int {
	fmt.Fprintf(stderr, "herald monnet %s: %s\nrun 'herald monnet %s -h' for help\n", cmd, fmt.Sprintf(format, a...), cmd)
	return 2
}

// parseMonnetFlags parses a herald monnet command's flags: its help on
// stdout (exit 0), a bad flag as a short usage error (exit 2).
func parseMonnetFlags(fs *flag.FlagSet, cmd, help string, args []string, stdout, stderr io.Writer) (status int, done bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, help)
		return 0, true
	case err != nil:
		return monnetUsageError(stderr, cmd, "%v", err), true
	}
	return 0, false
}

// privateKeyFile reads a PEM RSA private key, naming the mistake when the
// file holds something else (a certificate, a public key) rather than
// passing on an ASN.1 parser's error.
func privateKeyFile(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	switch {
	case block == nil:
		return nil, fmt.Errorf("--key %s holds no PEM block; --key wants an RSA private key (PEM)", path)
	case block.Type == "CERTIFICATE":
		return nil, fmt.Errorf("--key %s is a certificate; --key wants the notifier's private key (PEM), such as the key the certificate was made from", path)
	case strings.Contains(block.Type, "PUBLIC KEY"):
		return nil, fmt.Errorf("--key %s is a public key; --key wants the matching private key (PEM)", path)
	case !strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, fmt.Errorf("--key %s holds a PEM %q block; --key wants an RSA private key (PEM)", path, block.Type)
	}
	key, err := monnet.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %v", path, err)
	}
	return key, nil
}

// runMonnet is "herald monnet …", with its exit status.
func runMonnet(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, monnetUsage)
		return 2
	}
	switch args[0] {
	case "verify":
		return runMonnetVerify(args[1:], stdin, stdout, stderr)
	case "check-receiver":
		return runMonnetCheck(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, monnetUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald monnet: unknown command %q (verify, check-receiver)\nrun 'herald monnet -h' for help\n", args[0])
		return 2
	}
}

func runMonnetVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald monnet verify", flag.ContinueOnError)
	cert := fs.String("cert", "", "")
	pubkey := fs.String("pubkey", "", "")
	merchantID := fs.String("merchant-id", "", "")
	signature := fs.String("signature", "", "")
	if status, done := parseMonnetFlags(fs, "verify", verifyHelp, args, stdout, stderr); done {
		return status
	}
	usage := func(format string, a ...any) int { return monnetUsageError(stderr, "verify", format, a...) }
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q (the body is read from standard input)", fs.Arg(0))
	case (*cert == "") == (*pubkey == ""):
		return usage("give exactly one of --cert and --pubkey")
	case *merchantID == "":
		return usage("--merchant-id is required")
	case *signature == "":
		return usage("--signature is required")
	}
	path := *cert + *pubkey
	keyData, err := os.ReadFile(path)
	if err != nil {
		return usage("%v", err)
	}
	if *cert != "" && !strings.Contains(string(keyData), "-----BEGIN CERTIFICATE-----") {
		return usage("--cert %s is not a PEM certificate (use --pubkey for a public key)", path)
	}
	pub, err := monnet.ParsePublicKey(keyData)
	if err != nil {
		return usage("%s: %v", path, err)
	}
	body, err := io.ReadAll(stdin)
	if err != nil {
		return usage("reading the body from standard input: %v", err)
	}
	if err := monnet.Verify(pub, *merchantID, body, *signature); err != nil {
		fmt.Fprintf(stdout, "INVALID: %v (merchant id %q, %d body bytes)\n", err, *merchantID, len(body))
		return 1
	}
	fmt.Fprintf(stdout, "OK: the signature verifies for merchant id %q over %d body bytes\n", *merchantID, len(body))
	return 0
}

func runMonnetCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald monnet check-receiver", flag.ContinueOnError)
	target := fs.String("url", "", "")
	merchantID := fs.String("merchant-id", "", "")
	keyFile := fs.String("key", "", "")
	var format formatFlag
	fs.Var(&format, "format", "")
	timeout := fs.Duration("timeout", 10*time.Second, "")
	if status, done := parseMonnetFlags(fs, "check-receiver", checkReceiverHelp, args, stdout, stderr); done {
		return status
	}
	usage := func(format string, a ...any) int { return monnetUsageError(stderr, "check-receiver", format, a...) }
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case *merchantID == "":
		return usage("--merchant-id is required")
	case *timeout <= 0:
		return usage("--timeout must be positive")
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usage("--url: want the receiver's absolute http:// or https:// URL, got %q", *target)
	}
	if format == "" {
		format = "pretty"
	}
	if err := checkFormat(string(format)); err != nil {
		return usage("--format: %v", err)
	}
	if strings.Contains(string(format), "html:") {
		return usage("--format: check-receiver writes pretty, progress, junit:FILE and cucumber:FILE (html is herald test's)")
	}
	if err := writable(string(format)); err != nil {
		return usage("--format: %v", err)
	}
	var key *rsa.PrivateKey
	if *keyFile != "" {
		var err error
		if key, err = privateKeyFile(*keyFile); err != nil {
			return usage("%v", err)
		}
	}
	var outcome monnetsteps.CheckOutcome
	status := monnetsteps.CheckReceiver(monnetsteps.CheckOptions{URL: *target, MerchantID: *merchantID, Key: key,
		Timeout: *timeout, Format: string(format), Output: stdout, Outcome: &outcome})
	switch status {
	case 0:
		return 0
	case 2:
		fmt.Fprintln(stderr, "herald monnet check-receiver: the check could not run")
		return 2
	default:
		if outcome.Sent > 0 && outcome.Answered == 0 {
			fmt.Fprintf(stderr, "herald monnet check-receiver: nothing answered at %s: none of the %d notifications got an answer (is the receiver running, and is the URL right?)\n", *target, outcome.Sent)
			return 1
		}
		if outcome.Wrong == 0 { // no wrong answer counted: a step that did not run
			fmt.Fprintln(stderr, "herald monnet check-receiver: the check failed; see above")
			return 1
		}
		fmt.Fprintf(stderr, "herald monnet check-receiver: %d of %d notifications were answered wrongly\n", outcome.Wrong, outcome.Sent)
		return 1
	}
}
