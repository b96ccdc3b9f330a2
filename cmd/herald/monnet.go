package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"herald/simulator/monnet"
)

const monnetUsage = `Usage:
  herald monnet verify (--cert FILE | --pubkey FILE) --merchant-id ID --signature SIG < body

Checks a Monnet payout notification as a merchant's receiver must: the
signature (the value of the notification's "verification" header) must be a
base64 RSASSA-PKCS1-v1_5 SHA-256 signature, by the key of the notifier
certificate, over the UTF-8 merchant id immediately followed by the raw body
bytes read from standard input (byte for byte: no newline is added or
removed).

Flags:
  --cert FILE         the notifier certificate (PEM), as Monnet hands it over
  --pubkey FILE       or the public key: PEM, or the bare base64 key of Monnet's Java sample
  --merchant-id ID    your Monnet merchant id (the signed content starts with it)
  --signature SIG     the verification header value

Exit status: 0 the signature verifies, 1 it does not, 2 usage or input errors.
`

// runMonnet is "herald monnet …", with its exit status.
func runMonnet(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, monnetUsage)
		return 2
	}
	switch args[0] {
	case "verify":
		return runMonnetVerify(args[1:], stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, monnetUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald monnet: unknown command %q\n\n%s", args[0], monnetUsage)
		return 2
	}
}

func runMonnetVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald monnet verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cert := fs.String("cert", "", "")
	pubkey := fs.String("pubkey", "", "")
	merchantID := fs.String("merchant-id", "", "")
	signature := fs.String("signature", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, monnetUsage)
			return 0
		}
		fmt.Fprintf(stderr, "herald monnet verify: %v\n\n%s", err, monnetUsage)
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "herald monnet verify: "+format+"\n\n%s", append(a, monnetUsage)...)
		return 2
	}
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
		return usage("%s is not a PEM certificate (use --pubkey for a public key)", path)
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
