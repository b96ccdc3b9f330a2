package mnotify

import (
	"cmp"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"herald/simulator/engine"
	"herald/simulator/system"
	"herald/specs"
	wire "herald/specs/wire/mnotify"
)

// Control is MNotify's control routes (specs/mnotify-control.yaml): the
// MPass registry, and the messages a notification would have delivered.
func (s *Sim) Control() system.Control {
	return system.Control{Spec: specs.MnotifyControl, Handlers: map[string]engine.Handler{
		"listMnotifyRegistrations":   s.listRegistrations,
		"registerMnotifyCertificate": s.registerCertificate,
		"getMnotifyRegistration":     s.getRegistration,
		"deleteMnotifyRegistration":  s.deleteRegistration,
		"revokeMnotifyCertificate":   s.revokeCertificate,
		"getMnotifyMessages":         s.getMessages,
		"listMnotifyMessages":        s.listMessages,
	}}
}

func bodyField(field, reason string) error {
	return &engine.Problem{Kind: engine.Invalid, In: "body", Field: field, Reason: reason}
}

// certificateRef is a certificate named by serial number or given in PEM.
type certificateRef struct {
	Serial      string `json:"serial"`
	Certificate string `json:"certificate"`
}

// resolve returns the serial number (normalised) and, for a PEM, the
// certificate. A PEM must be issued by the CA MNotify trusts: another CA's
// certificate could never authenticate, and may carry a registered
// sender's serial number.
func (s *Sim) resolve(ref certificateRef) (string, *x509.Certificate, error) {
	switch {
	case ref.Serial != "" && ref.Certificate != "":
		return "", nil, bodyField("certificate", "give serial or certificate, not both")
	case ref.Serial != "":
		serial, err := wire.NormalizeSerial(ref.Serial)
		if err != nil {
			return "", nil, bodyField("serial", "must be a serial number in hexadecimal")
		}
		return serial, nil, nil
	case ref.Certificate == "":
		return "", nil, &engine.Problem{Kind: engine.Missing, In: "body", Field: "serial",
			Reason: "give serial (hexadecimal) or certificate (PEM)"}
	}
	block, rest := pem.Decode([]byte(ref.Certificate))
	if block == nil || block.Type != "CERTIFICATE" {
		return "", nil, bodyField("certificate", "must be one certificate in PEM (-----BEGIN CERTIFICATE-----)")
	}
	if p, _ := pem.Decode(rest); p != nil {
		return "", nil, bodyField("certificate", "must hold one certificate only")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", nil, bodyField("certificate", "the certificate does not parse as X.509")
	}
	if cert.SerialNumber.Sign() < 0 {
		return "", nil, bodyField("certificate", "the certificate's serial number is negative")
	}
	if err := s.chains.Verify(s.roots, []*x509.Certificate{cert}, s.clock.Now(), x509.ExtKeyUsageClientAuth); err != nil {
		return "", nil, bodyField("certificate", "the certificate is not issued by the certificate authority MNotify trusts")
	}
	return wire.Serial(cert), cert, nil
}

// decodeControl reads a control request body that passed the spec check.
func decodeControl(ex *engine.Exchange, v any) error {
	if err := json.Unmarshal(ex.Body, v); err != nil {
		return &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: "the body does not fit the operation's schema"}
	}
	return nil
}

func (s *Sim) listRegistrations(ex *engine.Exchange) (engine.Reply, error) {
	return engine.JSON(http.StatusOK, s.registry.Entries())
}

func (s *Sim) registerCertificate(ex *engine.Exchange) (engine.Reply, error) {
	var in struct {
		certificateRef
		SenderID string `json:"senderId"`
		Name     string `json:"name"`
		IDNO     string `json:"idno"`
	}
	if err := decodeControl(ex, &in); err != nil {
		return engine.Reply{}, err
	}
	serial, cert, err := s.resolve(in.certificateRef)
	if err != nil {
		return engine.Reply{}, err
	}
	sender := Sender{ID: in.SenderID, Name: in.Name, IDNO: in.IDNO}
	if sender.ID == "" {
		sender.ID = senderIDFor(serial)
	} else if sender.ID, err = uuidParam("senderId", sender.ID); err != nil {
		return engine.Reply{}, bodyField("senderId", "must be a UUID")
	}
	if sender.Name == "" {
		sender.Name = "Sender " + serial
		if cert != nil && len(cert.Subject.Organization) > 0 && cert.Subject.Organization[0] != "" {
			sender.Name = cert.Subject.Organization[0]
		}
	}
	reg, err := s.registry.Register(serial, sender)
	if err != nil {
		return engine.Reply{}, bodyField("serial", "must be a serial number in hexadecimal")
	}
	return engine.JSON(http.StatusOK, reg)
}

// senderIDFor derives a sender id from a serial number, so that the same
// serial always gets the same id without drawing on the random stream.
func senderIDFor(serial string) string {
	sum := sha256.Sum256([]byte("herald mnotify sender " + serial))
	var b [16]byte
	copy(b[:], sum[:])
	return formatUUID(b)
}

// registrationOf answers a registry lookup by path parameter.
func (s *Sim) registrationOf(ex *engine.Exchange, op func(string) (Registration, bool, error)) (engine.Reply, error) {
	serial := ex.PathParams["serial"]
	reg, ok, err := op(serial)
	switch {
	case err != nil:
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "path", Field: "serial", Reason: "must be a serial number in hexadecimal"}
	case !ok:
		return engine.Reply{}, system.NotFound("no certificate with serial number %s is registered in MPass", strings.ToLower(serial))
	}
	return engine.JSON(http.StatusOK, reg)
}

func (s *Sim) getRegistration(ex *engine.Exchange) (engine.Reply, error) {
	return s.registrationOf(ex, s.registry.Get)
}

func (s *Sim) deleteRegistration(ex *engine.Exchange) (engine.Reply, error) {
	return s.registrationOf(ex, s.registry.Remove)
}

func (s *Sim) revokeCertificate(ex *engine.Exchange) (engine.Reply, error) {
	var in certificateRef
	if err := decodeControl(ex, &in); err != nil {
		return engine.Reply{}, err
	}
	serial, _, err := s.resolve(in)
	if err != nil {
		return engine.Reply{}, err
	}
	reg, ok, err := s.registry.Revoke(serial, s.clock.Now())
	switch {
	case err != nil:
		return engine.Reply{}, bodyField("serial", "must be a serial number in hexadecimal")
	case !ok:
		return engine.Reply{}, system.NotFound("no certificate with serial number %s is registered in MPass", serial)
	}
	return engine.JSON(http.StatusOK, reg)
}

// deliveredMessage is a message as its recipient receives it.
type deliveredMessage struct {
	NotificationID string `json:"notificationId"`
	MessageID      string `json:"messageId"`
	Recipient      struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"recipient"`
	Channel   string `json:"channel"`
	To        string `json:"to"`
	Language  string `json:"language"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	BodyShort string `json:"bodyShort"`
	Status    string `json:"status"`
}

// delivered is the message as its recipient r receives it.
func (m *message) delivered(r *recipient, now time.Time) deliveredMessage {
	st, _ := m.status(now)
	d := deliveredMessage{NotificationID: m.notif.id, MessageID: m.id, Channel: m.channel, To: m.to, Language: m.lang,
		Subject: m.subject, Body: m.body, BodyShort: m.bodyShort, Status: st}
	d.Recipient.Type, d.Recipient.Value = r.typ, r.value
	return d
}

// inboxMessage is a message beside its notification's lifecycle.
type inboxMessage struct {
	deliveredMessage
	Notification inboxNotification `json:"notification"`
}

type inboxNotification struct {
	ID            string `json:"id"`
	Sender        string `json:"sender"`
	Priority      string `json:"priority"`
	Status        string `json:"status"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	Lifecycle     []step `json:"lifecycle"`
}

// listMessages is the recipients' inbox: every notification's messages,
// newest notification first, at most limit of them.
func (s *Sim) listMessages(ex *engine.Exchange) (engine.Reply, error) {
	limit := 100
	if v := ex.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "query", Field: "limit", Reason: "must be an integer from 1 to 1000"}
		}
		limit = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	all := make([]*notification, 0, len(s.st.notifications))
	matched := 0
	for _, n := range s.st.notifications {
		all = append(all, n)
		matched += n.messages
	}
	slices.SortFunc(all, func(a, b *notification) int { return cmp.Compare(b.seq, a.seq) })
	out := []inboxMessage{}
	for _, n := range all {
		if len(out) == limit {
			break
		}
		st, at := n.status(now)
		head := inboxNotification{ID: n.id, Sender: n.sender.Name, Priority: n.priority, Status: st,
			CreatedAt: stamp(n.created), LastUpdatedAt: stamp(at), Lifecycle: n.lifecycle(now)}
		for _, r := range n.recipients {
			for _, m := range r.messages {
				if len(out) < limit {
					out = append(out, inboxMessage{m.delivered(r, now), head})
				}
			}
		}
	}
	return engine.JSON(http.StatusOK, map[string]any{"matched": matched, "messages": out})
}

func (s *Sim) getMessages(ex *engine.Exchange) (engine.Reply, error) {
	id, err := uuidParam("id", ex.PathParams["id"])
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "path", Field: "id", Reason: "must be a UUID"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.st.notifications[id]
	if n == nil {
		return engine.Reply{}, system.NotFound("notification %s does not exist", id)
	}
	now := s.clock.Now()
	out := []deliveredMessage{}
	for _, r := range n.recipients {
		for _, m := range r.messages {
			out = append(out, m.delivered(r, now))
		}
	}
	return engine.JSON(http.StatusOK, out)
}
