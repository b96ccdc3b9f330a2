package proxy

import (
	"crypto/subtle"
	"encoding/json"
	"strings"
	"sync"

	"herald/simulator/engine"
	monnetwire "herald/specs/wire/monnet"
	mopaywire "herald/specs/wire/mopay"
)

// Secrets are the credentials a proxy may check requests with, where the
// target gives them.
type Secrets struct {
	// MopayKey and MopaySecret are an issued key pair (the target's
	// systems.mopay.params key and secret); the proxy also learns the pairs
	// that logins through it issue.
	MopayKey, MopaySecret string
	// MonnetAPIKey and MonnetAPISecret are the merchant's payout-API
	// credentials (systems.monnet.params api-key and api-secret).
	MonnetAPIKey, MonnetAPISecret string
}

// maxKeys bounds the Mopay key pairs a proxy learns from logins.
const maxKeys = 10000

// mopayKeys are the Mopay key pairs a proxy knows: given, or issued by a
// login or registration that went through it.
type mopayKeys struct {
	mu   sync.Mutex
	keys map[string]string
}

func (k *mopayKeys) add(key, secret string) {
	if key == "" || secret == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.keys) >= maxKeys {
		k.keys = map[string]string{} // forget them all rather than grow
	}
	k.keys[key] = secret
}

func (k *mopayKeys) secret(key string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.keys[key]
	return s, ok
}

// learn notes the key pair a successful login or registration issued.
func (k *mopayKeys) learn(ex *engine.Exchange, reply engine.Reply) {
	if reply.Status != 200 || (ex.OperationID != "user_profile_login" && ex.OperationID != "user_profile_create") {
		return
	}
	var env struct {
		DATA struct {
			PbcKey string `json:"pbcKey"`
			Secret string `json:"secret"`
		}
	}
	if json.Unmarshal(reply.Body, &env) == nil {
		k.add(env.DATA.PbcKey, env.DATA.Secret)
	}
}

// authenticate checks a Mopay request's signature when its key's secret is
// known; ErrUnchecked otherwise.
func (k *mopayKeys) authenticate(ex *engine.Exchange) error {
	r := ex.Request
	key, ts, sig := r.Header.Get(mopaywire.HeaderKey), r.Header.Get(mopaywire.HeaderTimestamp), r.Header.Get(mopaywire.HeaderSignature)
	for _, h := range []struct{ name, value string }{{mopaywire.HeaderKey, key}, {mopaywire.HeaderTimestamp, ts}, {mopaywire.HeaderSignature, sig}} {
		if h.value == "" { // the spec's security requirement
			ex.Explain("header %s is missing or empty (%s, %s and %s are all needed)", h.name, mopaywire.HeaderKey, mopaywire.HeaderTimestamp, mopaywire.HeaderSignature)
			return &engine.Problem{Kind: engine.Missing, In: "header", Field: h.name, Reason: "header " + h.name + " is missing"}
		}
	}
	secret, ok := k.secret(key)
	if !ok {
		ex.Explain("not checked: the proxy does not know this key's secret (give the target's key and secret, or sign in through the proxy)")
		return engine.ErrUnchecked
	}
	want := mopaywire.Signature(secret, ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) == 1 {
		ex.Explain("signature is over `{\"timestamp\":\"%s\"}` with a key the proxy knows, and matches", ts)
		return nil
	}
	ex.Explain("signature is over `{\"timestamp\":\"%s\"}` with a key the proxy knows, and the request's does not match", ts)
	return &engine.Problem{Kind: engine.Credentials, Status: 401, In: "header", Field: mopaywire.HeaderSignature, Reason: "header " + mopaywire.HeaderSignature + " is not the HMAC-SHA512 of the timestamp with the key's secret (checked by herald proxy)"}
}

// monnetAuth checks the payout API's key and query signature with the
// merchant's credentials, when given.
type monnetAuth struct{ key, secret string }

func (m monnetAuth) authenticate(ex *engine.Exchange) error {
	r := ex.Request
	if m.secret == "" {
		ex.Explain("not checked: the proxy was given no API secret (the target's systems.monnet.params api-secret)")
		return engine.ErrUnchecked
	}
	key := r.Header.Get(monnetwire.HeaderAPIKey)
	if subtle.ConstantTimeCompare([]byte(key), []byte(m.key)) != 1 {
		ex.Explain("not checked: the request's %s is not the merchant's the proxy was given", monnetwire.HeaderAPIKey)
		return engine.ErrUnchecked
	}
	q := r.URL.Query()
	ts, sig := q.Get("timestamp"), q.Get("signature")
	if ts == "" || sig == "" {
		ex.Explain("query parameter timestamp or signature missing")
		return &engine.Problem{Kind: engine.Credentials, Status: 401, In: "query", Field: "signature", Reason: "query parameter timestamp or signature missing (checked by herald proxy)"}
	}
	want := monnetwire.PayoutSignature(m.secret, r.Method, r.URL.EscapedPath(), ts, ex.RawBody())
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) == 1 {
		ex.Explain("query signature matches, computed over `%s`", monnetwire.PayoutContent(r.Method, r.URL.EscapedPath(), ts, ex.RawBody()))
		return nil
	}
	ex.Explain("query signature does not match: computed over `%s` with the merchant's secret", monnetwire.PayoutContent(r.Method, r.URL.EscapedPath(), ts, ex.RawBody()))
	return &engine.Problem{Kind: engine.Credentials, Status: 401, In: "query", Field: "signature", Reason: "query parameter signature is not the HMAC-SHA256 of the request with your API secret (checked by herald proxy)"}
}
