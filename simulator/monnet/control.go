package monnet

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"time"

	"herald/simulator/engine"
	"herald/simulator/system"
	"herald/specs"
	wire "herald/specs/wire/monnet"
)

// Control is Monnet's control routes (specs/monnet-control.yaml): receiver
// URLs, picked outcomes, the delivery log, redelivery, forgeries and the
// notifier's certificate.
// The core loads its document once, for every world (system.Control.Spec).
func (s *Sim) Control() system.Control {
	return system.Control{Spec: specs.MonnetControl, Handlers: map[string]engine.Handler{
		"getMonnetReceiver":            s.getReceiver,
		"setMonnetReceiver":            s.setReceiver,
		"deleteMonnetReceiver":         s.deleteReceiver,
		"setMonnetOutcome":             s.setOutcome,
		"listMonnetDeliveries":         s.listDeliveries,
		"getMonnetDelivery":            s.getDelivery,
		"redeliverMonnetNotification":  s.redeliver,
		"sendMonnetForgery":            s.sendForgery,
		"getMonnetNotifier":            s.getNotifier,
		"setMonnetNotifier":            s.setNotifier,
		"getMonnetNotifierCertificate": func(*engine.Exchange) (engine.Reply, error) { return pemReply(s.notifier.CertificatePEM()), nil },
		"getMonnetNotifierPublicKey":   func(*engine.Exchange) (engine.Reply, error) { return pemReply(s.notifier.PublicKeyPEM()), nil },
	}}
}

func pemReply(b []byte) engine.Reply {
	return engine.Reply{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: b}
}

// knownMerchant returns the merchantId of the path, or a not-found error.
func (s *Sim) knownMerchant(ex *engine.Exchange) (string, error) {
	id := ex.PathParams["merchantId"]
	if s.ids[id] == nil {
		return "", system.NotFound("no Monnet merchant %s in the seed (fixtures/monnet/seed.json)", id)
	}
	return id, nil
}

func receiverReply(merchantID, u string) (engine.Reply, error) {
	out := map[string]string{"merchantId": merchantID}
	if u != "" {
		out["url"] = u
	}
	return engine.JSON(http.StatusOK, out)
}

func (s *Sim) getReceiver(ex *engine.Exchange) (engine.Reply, error) {
	id, err := s.knownMerchant(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	u, ok := s.notifier.Receiver(id)
	if !ok {
		return engine.Reply{}, system.NotFound("merchant %s has no receiver URL", id)
	}
	return receiverReply(id, u)
}

func (s *Sim) setReceiver(ex *engine.Exchange) (engine.Reply, error) {
	id, err := s.knownMerchant(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var in struct{ URL string }
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: err.Error()}
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "url", Reason: "want an absolute http:// or https:// URL"}
	}
	s.notifier.SetReceiver(id, in.URL)
	return receiverReply(id, in.URL)
}

func (s *Sim) deleteReceiver(ex *engine.Exchange) (engine.Reply, error) {
	id, err := s.knownMerchant(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.notifier.SetReceiver(id, "")
	return receiverReply(id, "")
}

func (s *Sim) setOutcome(ex *engine.Exchange) (engine.Reply, error) {
	id, err := s.knownMerchant(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var o wire.Outcome
	if err := json.Unmarshal(ex.Body, &o); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: err.Error()}
	}
	order := ex.PathParams["orderId"]
	if o, err = s.SetOutcome(id, order, o); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "code", Reason: err.Error()}
	}
	return engine.JSON(http.StatusOK, map[string]string{"merchantId": id, "orderId": order, "status": o.Status, "code": o.Code})
}

func (s *Sim) listDeliveries(ex *engine.Exchange) (engine.Reply, error) {
	q := ex.Query()
	out := []deliveryJSON{}
	for _, d := range s.notifier.Deliveries() {
		if f := q.Get("merchantId"); f != "" && f != d.MerchantID {
			continue
		}
		if f := q.Get("payoutId"); f != "" && f != d.PayoutID {
			continue
		}
		if f := q.Get("orderId"); f != "" && f != d.OrderID {
			continue
		}
		if f := q.Get("state"); f != "" && f != d.State {
			continue
		}
		out = append(out, toJSON(d))
	}
	return engine.JSON(http.StatusOK, out)
}

func (s *Sim) delivery(ex *engine.Exchange) (Delivery, error) {
	id := ex.PathParams["id"]
	d, ok := s.notifier.Delivery(id)
	if !ok {
		return Delivery{}, system.NotFound("no delivery %s (a reset forgets them)", id)
	}
	return d, nil
}

func (s *Sim) getDelivery(ex *engine.Exchange) (engine.Reply, error) {
	d, err := s.delivery(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	return engine.JSON(http.StatusOK, toJSON(d))
}

func (s *Sim) redeliver(ex *engine.Exchange) (engine.Reply, error) {
	d, err := s.delivery(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	if err := s.notifier.Redeliver(d.ID); err != nil {
		return engine.Reply{}, system.NotFound("%v", err)
	}
	return engine.JSON(http.StatusAccepted, toJSON(d))
}

func (s *Sim) sendForgery(ex *engine.Exchange) (engine.Reply, error) {
	d, err := s.delivery(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var in struct{ Kind wire.Forgery }
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: err.Error()}
	}
	id, err := s.notifier.SendForged(d.ID, in.Kind)
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "path", Field: "id", Reason: err.Error()}
	}
	f, _ := s.notifier.Delivery(id)
	return engine.JSON(http.StatusAccepted, toJSON(f))
}

func (s *Sim) notifierReply() (engine.Reply, error) {
	backoff, timeout := s.notifier.Schedule()
	out := struct {
		Backoff        []string `json:"backoff"`
		AttemptTimeout string   `json:"attemptTimeout"`
	}{AttemptTimeout: timeout.String()}
	for _, d := range backoff {
		out.Backoff = append(out.Backoff, d.String())
	}
	return engine.JSON(http.StatusOK, out)
}

func (s *Sim) getNotifier(*engine.Exchange) (engine.Reply, error) { return s.notifierReply() }

func (s *Sim) setNotifier(ex *engine.Exchange) (engine.Reply, error) {
	var in struct {
		Backoff        []string
		AttemptTimeout string
	}
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: err.Error()}
	}
	var backoff []time.Duration
	for _, v := range in.Backoff {
		d, err := time.ParseDuration(v)
		if err != nil {
			return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "backoff", Reason: err.Error()}
		}
		backoff = append(backoff, d)
	}
	var timeout time.Duration
	if in.AttemptTimeout != "" {
		var err error
		if timeout, err = time.ParseDuration(in.AttemptTimeout); err != nil || timeout <= 0 {
			return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "attemptTimeout", Reason: "want a positive duration"}
		}
	}
	if err := s.notifier.SetSchedule(backoff, timeout); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "backoff", Reason: err.Error()}
	}
	return s.notifierReply()
}

// deliveryJSON is a delivery as the control API shows it.
type deliveryJSON struct {
	ID           string        `json:"id"`
	MerchantID   string        `json:"merchantId"`
	PayoutID     string        `json:"payoutId"`
	OrderID      string        `json:"orderId,omitempty"`
	Forgery      wire.Forgery  `json:"forgery,omitempty"`
	Of           string        `json:"of,omitempty"`
	Due          time.Time     `json:"due"`
	State        string        `json:"state"`
	Next         *time.Time    `json:"next,omitempty"`
	Verification *string       `json:"verification,omitempty"`
	Body         string        `json:"body"`
	Withheld     string        `json:"withheld,omitempty"`
	Attempts     []attemptJSON `json:"attempts"`
}

type attemptJSON struct {
	At         time.Time `json:"at"`
	URL        string    `json:"url,omitempty"`
	Status     int       `json:"status"`
	LatencyMs  float64   `json:"latencyMs"`
	Error      string    `json:"error,omitempty"`
	Redelivery bool      `json:"redelivery,omitempty"`
}

func toJSON(d Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, MerchantID: d.MerchantID, PayoutID: d.PayoutID, OrderID: d.OrderID, Forgery: d.Forgery, Of: d.Of,
		Due: d.Due.UTC(), State: d.State, Body: string(d.Message.Body), Withheld: d.Withheld, Attempts: []attemptJSON{}}
	if !d.Next.IsZero() {
		next := d.Next.UTC()
		out.Next = &next
	}
	if !d.Message.OmitHeader {
		v := d.Message.Verification
		out.Verification = &v
	}
	for _, a := range d.Attempts {
		out.Attempts = append(out.Attempts, attemptJSON{At: a.At.UTC(), URL: a.URL, Status: a.Status,
			LatencyMs: math.Round(float64(a.Latency)/1e3) / 1e3, Error: a.Error, Redelivery: a.Redelivery})
	}
	return out
}
