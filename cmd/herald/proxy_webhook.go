package main

import (
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"herald/simulator/proxy"
	wire "herald/specs/wire/monnet"
	"herald/steps"
	"herald/steps/monnet"
)

// DefaultWebhookAddr is where herald proxy receives Monnet's notifications
// unless told otherwise.
const DefaultWebhookAddr = "127.0.0.1:8091"

// webhookFlags are herald proxy's flags for Monnet's webhooks.
type webhookFlags struct {
	listen, receiver, cert *string
}

func addWebhookFlags(fs *flag.FlagSet) webhookFlags {
	return webhookFlags{
		listen: fs.String("monnet-webhook-listen", DefaultWebhookAddr, "`address` of the listener Monnet's notifications reach (with --monnet-receiver)"),
		receiver: fs.String("monnet-receiver", "", "the merchant's receiver `URL`: each Monnet notification the webhook listener gets is verified, checked "+
			"against the callback schema and forwarded there, its bytes and headers as they came; the receiver's answer goes back to Monnet"),
		cert: fs.String("monnet-notifier-cert", os.Getenv("HERALD_MONNET_NOTIFIER_CERT"), "`file` of Monnet's notifier certificate (PEM; a PEM public key works too) "+
			"the notifications are verified with (default: the target's systems.monnet.params.notifier-cert; env HERALD_MONNET_NOTIFIER_CERT)"),
	}
}

// monnetWebhook builds the relay of Monnet's notifications, or nil when
// --monnet-receiver is not given. It also returns what to say of the
// signatures: checked with which certificate, or not.
func monnetWebhook(fs *flag.FlagSet, f webhookFlags, p *proxy.Proxy, t steps.Target) (*webhookRelay, error) {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if *f.receiver == "" {
		if given["monnet-webhook-listen"] || given["monnet-notifier-cert"] {
			return nil, errors.New("--monnet-webhook-listen and --monnet-notifier-cert need --monnet-receiver URL: where the notifications go")
		}
		return nil, nil
	}
	file := *f.cert
	if file == "" {
		file = t.Param(monnet.System, monnet.ParamNotifierCert)
	}
	var key *rsa.PublicKey
	verifies := "signatures not checked: no --monnet-notifier-cert"
	if file != "" {
		data, err := os.ReadFile(file)
		if err == nil {
			key, err = wire.ParsePublicKey(data)
		}
		if err != nil {
			return nil, fmt.Errorf("--monnet-notifier-cert %s: %w", file, err)
		}
		verifies = "verified with " + file
	}
	h, err := p.MonnetWebhook(proxy.WebhookOptions{Receiver: *f.receiver, NotifierKey: key, MerchantID: t.Param(monnet.System, monnet.ParamMerchantID)})
	if err != nil {
		return nil, err
	}
	return &webhookRelay{handler: h, listen: *f.listen, receiver: *f.receiver, verifies: verifies}, nil
}

// webhookRelay is the webhook listener to start: its handler, address, and
// what to print of it.
type webhookRelay struct {
	handler                    http.Handler
	listen, receiver, verifies string
}
