// Package proxy stands between clients and a real deployment of the
// simulated systems (herald proxy): it serves each system's API on a local
// listener, checks every request and answer against the system's spec with
// the engine (the system lends its document, routing and error format),
// forwards the request's bytes to the deployment, passes its answer back as
// it came, and journals each exchange with its verdicts. By default it only
// reports; Enforce refuses a request that breaks the spec before it leaves.
// For Monnet's webhooks it stands between Monnet's notifier and the
// merchant's receiver on a listener of its own (Proxy.MonnetWebhook).
// It serves the journal's routes and the web console, keeps the drift
// report (Drift), and can record each distinct answer that followed the
// spec as an example payload (Recorder).
package proxy
