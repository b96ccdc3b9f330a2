package mnotify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"herald/simulator/engine"
)

// Documented limits.
const (
	MaxBody                = 15 << 20 // bytes of body, all languages, without attachments
	MaxBodyWithAttachments = 10 << 20 // bytes of body with attachments
	MaxAttachments         = 10 << 20 // decoded bytes of all attachments
	MaxSubject             = 41       // characters: the documented mail subject length
	MaxBodyShort           = 160      // characters: the documented SMS length
	DefaultItemsPerPage    = 10
)

var (
	digits13 = regexp.MustCompile(`^[0-9]{13}$`)
	email    = regexp.MustCompile(`^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$`)
	phone    = regexp.MustCompile(`^\+?[0-9]{8,15}$`)
	uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	attachOK = regexp.MustCompile(`(?i)\.(jpeg|jpg|png|txt|pdf|csv|xls)$`)
)

// handlers returns the handler of every operation; the engine has
// authenticated the caller (Authenticate) before any of them runs.
func (s *Sim) handlers() map[string]engine.Handler {
	return map[string]engine.Handler{
		"listNotifications":          s.listNotifications,
		"sendNotification":           s.sendNotification,
		"getNotification":            s.getNotification,
		"cancelNotification":         s.cancelNotification,
		"listRecipientNotifications": s.listRecipientNotifications,
		"listTemplates":              s.listTemplates,
		"createTemplate":             s.createTemplate,
		"getTemplate":                s.getTemplate,
		"updateTemplate":             s.updateTemplate,
		"deleteTemplate":             s.deleteTemplate,
		"checkTemplate":              s.checkTemplate,
		"checkTemplateWithBody":      s.checkTemplateWithBody,
		"addContact":                 s.addContact,
		"listContacts":               s.listContacts,
		"contactExists":              s.contactExists,
		"setContactLanguage":         s.setContactLanguage,
	}
}

// ---- answers

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type notificationShort struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	CreatedBy     string `json:"createdBy"`
	LastUpdatedBy string `json:"lastUpdatedBy"`
}

func (n *notification) short(now time.Time) notificationShort {
	st, at := n.status(now)
	return notificationShort{ID: n.id, Status: st, CreatedAt: stamp(n.created), LastUpdatedAt: stamp(at),
		CreatedBy: n.sender.ID, LastUpdatedBy: n.sender.ID}
}

type messageShort struct {
	ID            string `json:"id,omitempty"` // the notification's, in the history only
	MessageID     string `json:"messageId"`
	Subject       string `json:"subject"`
	Status        string `json:"status"`
	Channel       string `json:"channel"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	CreatedBy     string `json:"createdBy"`
	LastUpdatedBy string `json:"lastUpdatedBy"`
}

func (m *message) short(now time.Time) messageShort {
	st, at := m.status(now)
	by := m.notif.sender.ID
	return messageShort{MessageID: m.id, Subject: m.subject, Status: st, Channel: m.channel,
		CreatedAt: stamp(m.notif.created), LastUpdatedAt: stamp(at), CreatedBy: by, LastUpdatedBy: by}
}

// recipientMessages carries the audit fields too: the official client's
// NotificationStatusRecipient requires createdBy and lastUpdatedBy.
type recipientMessages struct {
	Value         string         `json:"value"`
	Type          string         `json:"type"`
	IsLegal       bool           `json:"isLegal"`
	Status        string         `json:"status"`
	CreatedAt     string         `json:"createdAt"`
	LastUpdatedAt string         `json:"lastUpdatedAt"`
	CreatedBy     string         `json:"createdBy"`
	LastUpdatedBy string         `json:"lastUpdatedBy"`
	Messages      []messageShort `json:"messages"`
}

type notificationFull struct {
	ID            string              `json:"id"`
	Status        string              `json:"status"`
	Priority      string              `json:"priority"`
	CreatedAt     string              `json:"createdAt"`
	LastUpdatedAt string              `json:"lastUpdatedAt"`
	CreatedBy     string              `json:"createdBy"`
	LastUpdatedBy string              `json:"lastUpdatedBy"`
	Recipients    []recipientMessages `json:"recipients"`
}

func (n *notification) full(now time.Time) notificationFull {
	sh := n.short(now)
	out := notificationFull{ID: n.id, Status: sh.Status, Priority: n.priority, CreatedAt: sh.CreatedAt,
		LastUpdatedAt: sh.LastUpdatedAt, CreatedBy: sh.CreatedBy, LastUpdatedBy: sh.LastUpdatedBy,
		Recipients: make([]recipientMessages, 0, len(n.recipients))}
	for _, r := range n.recipients {
		st, at := r.status(n, now)
		rm := recipientMessages{Value: r.value, Type: r.typ, IsLegal: r.isLegal, Status: st,
			CreatedAt: sh.CreatedAt, LastUpdatedAt: stamp(at), CreatedBy: sh.CreatedBy, LastUpdatedBy: sh.LastUpdatedBy,
			Messages: make([]messageShort, 0, len(r.messages))}
		for _, m := range r.messages {
			rm.Messages = append(rm.Messages, m.short(now))
		}
		out.Recipients = append(out.Recipients, rm)
	}
	return out
}

type templateShort struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	CreatedBy     string `json:"createdBy"`
	LastUpdatedBy string `json:"lastUpdatedBy"`
}

type templateFull struct {
	ID            string  `json:"id"`
	SenderID      string  `json:"senderId"`
	CreatedAt     string  `json:"createdAt"`
	LastUpdatedAt string  `json:"lastUpdatedAt"`
	CreatedBy     string  `json:"createdBy"`
	LastUpdatedBy string  `json:"lastUpdatedBy"`
	Name          string  `json:"name"`
	Description   string  `json:"description"`
	Subject       content `json:"subject"`
	Body          content `json:"body"`
	BodyShort     content `json:"bodyShort"`
}

func (t *template) full() templateFull {
	by := t.sender.ID
	return templateFull{ID: t.id, SenderID: t.sender.ID, CreatedAt: stamp(t.created), LastUpdatedAt: stamp(t.updated),
		CreatedBy: by, LastUpdatedBy: by, Name: t.name, Description: t.description,
		Subject: t.subject, Body: t.body, BodyShort: t.short()}
}

func idReply(id string) (engine.Reply, error) { return engine.JSON(http.StatusOK, id) }

// ---- request helpers

// decode reads the (already validated) body into v.
func decode(ex *engine.Exchange, v any) error {
	if err := json.Unmarshal(ex.Body, v); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
			return invalid(jsonPath("/"+strings.ReplaceAll(te.Field, ".", "/")), "the value has the wrong type")
		}
		return invalid("$", "the body does not fit the operation's schema")
	}
	return nil
}

// uuidParam normalises a UUID to lowercase with hyphens.
func uuidParam(field, v string) (string, error) {
	if !uuidText.MatchString(v) {
		return "", invalid(field, "must be a UUID")
	}
	h := strings.ToLower(strings.ReplaceAll(v, "-", ""))
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

type page struct {
	offset, limit int
	byCreated     bool
	desc          bool
	search        string // a normalised UUID, or ""
}

// paging reads Page, ItemsPerPage, OrderField and SearchBy. defaultCreated
// says which order applies when OrderField is absent.
func paging(ex *engine.Exchange, defaultCreated bool) (page, error) {
	q := ex.Query()
	p := page{limit: DefaultItemsPerPage, byCreated: defaultCreated}
	number := 1
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, invalid("Page", "must be a whole number from 1")
		}
		number = n
	}
	if v := q.Get("ItemsPerPage"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return p, invalid("ItemsPerPage", "must be a whole number from 1 to 100")
		}
		p.limit = n
	}
	if number-1 > (1<<31)/p.limit {
		p.offset = 1 << 31 // past any end
	} else {
		p.offset = (number - 1) * p.limit
	}
	if v := strings.TrimSpace(q.Get("OrderField")); v != "" {
		f := strings.Fields(v)
		if len(f) > 2 {
			return p, invalid("OrderField", "must be a property name, optionally followed by asc or desc")
		}
		switch {
		case strings.EqualFold(f[0], "id"):
			p.byCreated = false
		case strings.EqualFold(f[0], "createdAt"):
			p.byCreated = true
		default:
			return p, invalid("OrderField", "can order by id or createdAt")
		}
		if len(f) == 2 {
			switch {
			case strings.EqualFold(f[1], "desc"):
				p.desc = true
			case strings.EqualFold(f[1], "asc"):
			default:
				return p, invalid("OrderField", "the direction must be asc or desc")
			}
		}
	}
	if v := q.Get("SearchBy"); v != "" {
		id, err := uuidParam("SearchBy", v)
		if err != nil {
			return p, err
		}
		p.search = id
	}
	return p, nil
}

func pageOf[T comparable](byID, byCreated *ordered[T], p page) []T {
	if p.byCreated {
		return byCreated.Page(p.offset, p.limit, p.desc)
	}
	return byID.Page(p.offset, p.limit, p.desc)
}

// ---- notifications

func (s *Sim) listNotifications(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	p, err := paging(ex, false)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := []notificationShort{}
	if p.search != "" {
		if n := s.st.notifications[p.search]; n != nil && n.sender.ID == snd.ID && p.offset == 0 {
			out = append(out, n.short(now))
		}
	} else if ss := s.st.senders[snd.ID]; ss != nil {
		for _, n := range pageOf(ss.notifByID, ss.notifByCreated, p) {
			out = append(out, n.short(now))
		}
	}
	return engine.JSON(http.StatusOK, out)
}

// notificationOf finds the caller's notification: 404 unknown, 403 another sender's.
func (s *Sim) notificationOf(ex *engine.Exchange, snd *Sender) (*notification, error) {
	id, err := uuidParam("id", ex.PathParams["id"])
	if err != nil {
		return nil, err
	}
	n := s.st.notifications[id]
	if n == nil {
		return nil, failf(http.StatusNotFound, "notification %s does not exist", id)
	}
	if n.sender.ID != snd.ID {
		explainOwner(ex, snd, "notification", id, n.sender)
		return nil, failf(http.StatusForbidden, "notification %s belongs to another sender", id)
	}
	return n, nil
}

func (s *Sim) getNotification(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.notificationOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	return engine.JSON(http.StatusOK, n.full(s.clock.Now()))
}

func (s *Sim) cancelNotification(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.notificationOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	now := s.clock.Now()
	ok, st := n.cancellable(now)
	if !ok {
		return engine.Reply{}, failf(http.StatusConflict, "notification %s is %s; only a notification not yet transmitted can be cancelled", n.id, st)
	}
	n.cancelled = now
	return idReply(n.id)
}

func (s *Sim) listRecipientNotifications(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	idnp := ex.PathParams["idnp"]
	if !digits13.MatchString(idnp) {
		return engine.Reply{}, invalid("idnp", "an IDNP must be strictly 13 digits")
	}
	p, err := paging(ex, false)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	out := []messageShort{}
	if ss := s.st.senders[snd.ID]; ss != nil {
		if h := ss.history[idnp]; h != nil {
			for _, m := range pageOf(h.byID, h.byCreated, p) {
				row := m.short(now)
				row.ID = m.notif.id
				out = append(out, row)
			}
		}
	}
	return engine.JSON(http.StatusOK, out)
}

type contentIn struct {
	Ro string `json:"ro"`
	Ru string `json:"ru"`
	En string `json:"en"`
}

func (c *contentIn) content() content { return content{Ro: c.Ro, Ru: c.Ru, En: c.En} }

type sendRequest struct {
	Subject   *contentIn `json:"subject"`
	Body      *contentIn `json:"body"`
	BodyShort *contentIn `json:"bodyShort"`
	Priority  string     `json:"priority"`
	Template  *struct {
		ID        string `json:"id"`
		Variables string `json:"variables"`
	} `json:"template"`
	Recipients []struct {
		Value string `json:"value"`
		Type  string `json:"type"`
	} `json:"recipients"`
	Attachments []struct {
		FileName string `json:"fileName"`
		Base64   string `json:"base64"`
	} `json:"attachments"`
}

// oneOf returns the spelling in values that s matches case-insensitively.
func oneOf(s string, values ...string) (string, bool) {
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return v, true
		}
	}
	return "", false
}

// checkContent checks one content field: ro present, each language within max characters (0: no limit).
func checkContent(errs fieldErrors, field string, c *contentIn, max int) {
	if c == nil {
		return
	}
	if c.Ro == "" {
		errs.add(field+".Ro", "the Romanian text is required")
	}
	if max > 0 {
		for lang, text := range map[string]string{"Ro": c.Ro, "Ru": c.Ru, "En": c.En} {
			if n := utf8.RuneCountInString(text); n > max {
				errs.add(field+"."+lang, "at most %d characters (got %d)", max, n)
			}
		}
	}
}

func (s *Sim) sendNotification(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var req sendRequest
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	errs := fieldErrors{}
	priority, ok := oneOf(req.Priority, "Low", "Medium", "High")
	if !ok {
		errs.add("Priority", "must be Low, Medium or High")
	}
	if len(req.Recipients) == 0 {
		errs.add("Recipients", "at least one recipient is required")
	}
	types := make([]string, len(req.Recipients))
	for i, r := range req.Recipients {
		field := fmt.Sprintf("Recipients[%d]", i)
		typ, ok := oneOf(r.Type, "IDNP", "IDNO", "Email", "Telephone")
		types[i] = typ
		switch {
		case !ok:
			errs.add(field+".Type", "must be IDNP, IDNO, Email or Telephone")
		case (typ == "IDNP" || typ == "IDNO") && !digits13.MatchString(r.Value):
			errs.add(field+".Value", "an %s must be strictly 13 digits", typ)
		case typ == "Email" && !email.MatchString(r.Value):
			errs.add(field+".Value", "must be an email address (character@character.character)")
		case typ == "Telephone" && !phone.MatchString(r.Value):
			errs.add(field+".Value", "must be a telephone number of 8 to 15 digits, optionally after +")
		}
	}
	checkContent(errs, "Subject", req.Subject, MaxSubject)
	checkContent(errs, "Body", req.Body, 0)
	checkContent(errs, "BodyShort", req.BodyShort, MaxBodyShort)
	attached := 0
	for i, a := range req.Attachments {
		field := fmt.Sprintf("Attachments[%d]", i)
		if !attachOK.MatchString(a.FileName) {
			errs.add(field+".FileName", "must end in .jpeg, .jpg, .png, .txt, .pdf, .csv or .xls")
		}
		n, err := base64.StdEncoding.DecodeString(a.Base64)
		if err != nil {
			errs.add(field+".Base64", "must be the file's bytes in base64")
		}
		attached += len(n)
	}
	if attached > MaxAttachments {
		errs.add("Attachments", "the attachments are %d bytes in all; at most 10 MB (%d bytes) are allowed", attached, MaxAttachments)
	}
	var vars map[string]string
	var templateID string
	if req.Template != nil {
		if templateID, err = uuidParam("Template.Id", req.Template.ID); err != nil {
			errs.add("Template.Id", "must be a UUID")
		}
		if vars, err = parseVariables(req.Template.Variables); err != nil {
			errs.add("Template.Variables", "%s", err.Error())
		}
	} else {
		if req.Subject == nil {
			errs.add("Subject", "the field is required when no template is given")
		}
		if req.Body == nil {
			errs.add("Body", "the field is required when no template is given")
		}
	}
	if err := errs.err(); err != nil {
		return engine.Reply{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	var subject, body content
	var tmpl *template
	if templateID != "" {
		tmpl = s.st.templates[templateID]
		if tmpl == nil {
			return engine.Reply{}, failf(http.StatusNotFound, "template %s does not exist", templateID)
		}
		if tmpl.sender.ID != snd.ID {
			explainOwner(ex, snd, "template", templateID, tmpl.sender)
			return engine.Reply{}, failf(http.StatusForbidden, "template %s belongs to another sender", templateID)
		}
		subject, body = tmpl.subject, tmpl.body
	}
	var short content
	hasShort := tmpl != nil && tmpl.bodyShort != nil
	if hasShort {
		short = *tmpl.bodyShort
	}
	if req.Subject != nil {
		subject = overlay(subject, req.Subject.content())
	}
	if req.Body != nil {
		body = overlay(body, req.Body.content())
	}
	if req.BodyShort != nil {
		short, hasShort = overlay(short, req.BodyShort.content()), true
	}
	if !hasShort {
		short = body
	}
	limit := MaxBody
	if len(req.Attachments) > 0 {
		limit = MaxBodyWithAttachments
	}
	if body.size() > limit {
		return engine.Reply{}, invalid("Body", "the body is %d bytes in all languages; at most %d are allowed", body.size(), limit)
	}

	n := &notification{id: s.newID(), seq: s.st.next(), sender: snd, priority: priority, created: now}
	ss := s.st.sender(snd.ID)
	for i, r := range req.Recipients {
		rc := &recipient{value: r.Value, typ: types[i], isLegal: types[i] == "IDNO"}
		lang := "ro"
		static := map[string]string{VarDate: now.UTC().Format("02.01.2006"), VarTime: now.UTC().Format("15:04")}
		var targets []*contact
		switch rc.typ {
		case "IDNP", "IDNO":
			static[rc.typ] = rc.value
			if p := s.st.people[rc.value]; p != nil {
				lang = p.language
				static[VarRecipientName], static[VarRecipientLast] = p.firstName, p.lastName
				for _, c := range p.contacts {
					if c.deliverable() {
						targets = append(targets, c)
					}
				}
			}
		case "Email":
			targets = []*contact{{typ: ChannelEmail, value: rc.value, active: true}}
		}
		text, bodyText, shortText := subject.in(lang), body.in(lang), short.in(lang)
		if tmpl != nil {
			lookup := lookupIn(vars, static)
			text, bodyText, shortText = render(text, lookup), render(bodyText, lookup), render(shortText, lookup)
		}
		for _, c := range targets {
			m := &message{id: s.newID(), seq: s.st.next(), notif: n, channel: c.typ, to: c.value, lang: lang,
				subject: text, body: bodyText, bodyShort: shortText}
			rc.messages = append(rc.messages, m)
			n.messages++
			if c.typ == ChannelMCabinet {
				n.mcabinet++
			}
			if rc.typ == "IDNP" || rc.typ == "IDNO" {
				h := ss.historyOf(rc.value)
				h.byID.Insert(m, spread(m.seq))
				h.byCreated.Insert(m, spread(m.seq))
			}
		}
		rc.failed = len(rc.messages) == 0
		n.recipients = append(n.recipients, rc)
	}
	s.st.add(ss, n)
	if tmpl != nil {
		tmpl.lastUsed = now
	}
	return idReply(n.id)
}

// add indexes a new notification.
func (st *state) add(ss *senderState, n *notification) {
	st.notifications[n.id] = n
	ss.notifByID.Insert(n, spread(n.seq))
	ss.notifByCreated.Insert(n, spread(n.seq))
}

// overlay puts the languages over has over base.
func overlay(base, over content) content {
	if over.Ro != "" {
		base.Ro = over.Ro
	}
	if over.Ru != "" {
		base.Ru = over.Ru
	}
	if over.En != "" {
		base.En = over.En
	}
	return base
}

// ---- templates

func (s *Sim) listTemplates(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	p, err := paging(ex, false)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []templateShort{}
	add := func(t *template) {
		out = append(out, templateShort{ID: t.id, Name: t.name, CreatedAt: stamp(t.created), LastUpdatedAt: stamp(t.updated),
			CreatedBy: t.sender.ID, LastUpdatedBy: t.sender.ID})
	}
	if p.search != "" {
		if t := s.st.templates[p.search]; t != nil && t.sender.ID == snd.ID && p.offset == 0 {
			add(t)
		}
	} else if ss := s.st.senders[snd.ID]; ss != nil {
		for _, t := range pageOf(ss.tmplByID, ss.tmplByCreated, p) {
			add(t)
		}
	}
	return engine.JSON(http.StatusOK, out)
}

type templateRequest struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Subject     *contentIn `json:"subject"`
	Body        *contentIn `json:"body"`
	BodyShort   *contentIn `json:"bodyShort"`
}

func (req *templateRequest) check() error {
	errs := fieldErrors{}
	if n := utf8.RuneCountInString(req.Name); n == 0 || n > 50 {
		errs.add("Name", "must be 1 to 50 characters")
	}
	if req.Subject == nil {
		errs.add("Subject", "the field is required")
	}
	if req.Body == nil {
		errs.add("Body", "the field is required")
	}
	checkContent(errs, "Subject", req.Subject, MaxSubject)
	checkContent(errs, "Body", req.Body, 0)
	checkContent(errs, "BodyShort", req.BodyShort, MaxBodyShort)
	return errs.err()
}

// explainOwner explains, for the journal, a refusal of another sender's
// record: who asked (as its certificate established) and whose it is.
func explainOwner(ex *engine.Exchange, snd *Sender, kind, id string, owner *Sender) {
	ex.Explain("sender %s, by its certificate, asked for %s %s, which sender %s owns", senderName(*snd), kind, id, senderName(*owner))
}

// templateOf finds the caller's template: 404 unknown, 403 another sender's.
func (s *Sim) templateOf(ex *engine.Exchange, snd *Sender) (*template, error) {
	id, err := uuidParam("id", ex.PathParams["id"])
	if err != nil {
		return nil, err
	}
	t := s.st.templates[id]
	if t == nil {
		return nil, failf(http.StatusNotFound, "template %s does not exist", id)
	}
	if t.sender.ID != snd.ID {
		explainOwner(ex, snd, "template", id, t.sender)
		return nil, failf(http.StatusForbidden, "template %s belongs to another sender", id)
	}
	return t, nil
}

func (s *Sim) createTemplate(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var req templateRequest
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	if err := req.check(); err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.st.sender(snd.ID)
	key := strings.ToLower(req.Name)
	if ss.tmplByName[key] != nil {
		return engine.Reply{}, failf(http.StatusConflict, "a template with this name already exists")
	}
	now := s.clock.Now()
	t := &template{id: s.newID(), seq: s.st.next(), sender: snd, created: now}
	t.set(&req, now)
	s.st.templates[t.id] = t
	ss.tmplByName[key] = t
	ss.tmplByID.Insert(t, spread(t.seq))
	ss.tmplByCreated.Insert(t, spread(t.seq))
	return idReply(t.id)
}

func (t *template) set(req *templateRequest, now time.Time) {
	t.name, t.description = req.Name, req.Description
	t.subject, t.body = req.Subject.content(), req.Body.content()
	t.bodyShort = nil
	if req.BodyShort != nil {
		c := req.BodyShort.content()
		t.bodyShort = &c
	}
	t.updated = now
}

func (s *Sim) getTemplate(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.templateOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	return engine.JSON(http.StatusOK, t.full())
}

func (s *Sim) updateTemplate(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var req templateRequest
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	if err := req.check(); err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.templateOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	ss := s.st.sender(snd.ID)
	key := strings.ToLower(req.Name)
	if other := ss.tmplByName[key]; other != nil && other != t {
		return engine.Reply{}, failf(http.StatusConflict, "a template with this name already exists")
	}
	delete(ss.tmplByName, strings.ToLower(t.name))
	ss.tmplByName[key] = t
	t.set(&req, s.clock.Now())
	return idReply(t.id)
}

func (s *Sim) deleteTemplate(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.templateOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	if !t.lastUsed.IsZero() && s.clock.Now().Sub(t.lastUsed) < SentAfter {
		return engine.Reply{}, failf(http.StatusConflict, "template %s is used by a notification not yet transmitted", t.id)
	}
	ss := s.st.sender(snd.ID)
	delete(s.st.templates, t.id)
	delete(ss.tmplByName, strings.ToLower(t.name))
	ss.tmplByID.Remove(t)
	ss.tmplByCreated.Remove(t)
	return idReply(t.id)
}

func (s *Sim) checkTemplate(ex *engine.Exchange) (engine.Reply, error) {
	q := ex.Query()
	return s.check(ex, q.Get("variables"), q.Get("userId"), "variables", "userId")
}

func (s *Sim) checkTemplateWithBody(ex *engine.Exchange) (engine.Reply, error) {
	var req struct {
		Variables string `json:"variables"`
		UserID    string `json:"userId"`
	}
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	return s.check(ex, req.Variables, req.UserID, "Variables", "UserId")
}

// check renders a template in every language: the caller's variables, and
// userId as the static IDNP and IDNO (the only static ones filled here, as
// the vendor documents); anything else is left verbatim.
func (s *Sim) check(ex *engine.Exchange, variables, userID, varsField, userField string) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	vars, err := parseVariables(variables)
	if err != nil {
		return engine.Reply{}, invalid(varsField, "%s", err.Error())
	}
	static := map[string]string{}
	if userID != "" {
		if !digits13.MatchString(userID) {
			return engine.Reply{}, invalid(userField, "an IDNP or IDNO must be strictly 13 digits")
		}
		static[VarIDNP], static[VarIDNO] = userID, userID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.templateOf(ex, snd)
	if err != nil {
		return engine.Reply{}, err
	}
	lookup := lookupIn(vars, static)
	out := t.full()
	out.Subject, out.Body, out.BodyShort = t.subject.render(lookup), t.body.render(lookup), t.short().render(lookup)
	return engine.JSON(http.StatusOK, out)
}

// ---- contacts

type contactOut struct {
	ID            string `json:"id"`
	IDNP          string `json:"idnp"`
	Type          string `json:"type"`
	Value         string `json:"value"`
	Active        bool   `json:"active"`
	Verified      bool   `json:"verified"`
	CreatedAt     string `json:"createdAt"`
	LastUpdatedAt string `json:"lastUpdatedAt"`
	CreatedBy     string `json:"createdBy"`
	LastUpdatedBy string `json:"lastUpdatedBy"`
}

func (s *Sim) addContact(ex *engine.Exchange) (engine.Reply, error) {
	snd, err := sender(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	var req struct {
		IDNP     string `json:"idnp"`
		Type     string `json:"type"`
		Value    string `json:"value"`
		Language string `json:"language"`
	}
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	errs := fieldErrors{}
	if !digits13.MatchString(req.IDNP) {
		errs.add("Idnp", "an IDNP must be strictly 13 digits")
	}
	typ := canonicalChannel(req.Type)
	switch {
	case typ == "":
		errs.add("Type", "must be one of Email, SMS, Viber, Telegram, Web push, MCabinet")
	case typ == ChannelEmail && !email.MatchString(req.Value):
		errs.add("Value", "must be an email address (character@character.character)")
	case typ == ChannelSMS && !phone.MatchString(req.Value):
		errs.add("Value", "must be a telephone number of 8 to 15 digits, optionally after +")
	case req.Value == "":
		errs.add("Value", "the field is required")
	}
	lang, langOK := oneOf(req.Language, "ro", "ru", "en")
	if req.Language != "" && !langOK {
		errs.add("Language", "must be ro, ru or en")
	}
	if err := errs.err(); err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.people[req.IDNP]
	if p == nil {
		p = &person{idnp: req.IDNP, language: "ro"}
		s.st.people[req.IDNP] = p
	}
	for _, c := range p.contacts {
		if c.typ == typ && strings.EqualFold(c.value, req.Value) {
			return engine.Reply{}, failf(http.StatusConflict, "this %s contact already exists for the IDNP", typ)
		}
	}
	c := &contact{id: s.newID(), seq: s.st.next(), idnp: req.IDNP, typ: typ, value: req.Value, active: true,
		created: s.clock.Now(), createdBy: snd.ID}
	p.contacts = append(p.contacts, c)
	if lang != "" {
		p.language = lang
	}
	return idReply(c.id)
}

func (s *Sim) listContacts(ex *engine.Exchange) (engine.Reply, error) {
	if _, err := sender(ex); err != nil {
		return engine.Reply{}, err
	}
	idnp := ex.Query().Get("Idnp")
	if !digits13.MatchString(idnp) {
		return engine.Reply{}, invalid("Idnp", "an IDNP must be strictly 13 digits")
	}
	p, err := paging(ex, true)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []contactOut{}
	person := s.st.people[idnp]
	if person == nil {
		return engine.JSON(http.StatusOK, out)
	}
	// A person's contacts are few: they are kept in createdAt order and
	// sorted by id only when asked, at a cost in this person's contacts alone.
	cs := append([]*contact(nil), person.contacts...)
	if !p.byCreated {
		sortContactsByID(cs)
	}
	n := len(cs)
	for k := p.offset; k < n && k < p.offset+p.limit; k++ {
		c := cs[k]
		if p.desc {
			c = cs[n-1-k]
		}
		out = append(out, contactOut{ID: c.id, IDNP: c.idnp, Type: c.typ, Value: c.value, Active: c.active, Verified: c.verified,
			CreatedAt: stamp(c.created), LastUpdatedAt: stamp(c.created), CreatedBy: c.createdBy, LastUpdatedBy: c.createdBy})
	}
	return engine.JSON(http.StatusOK, out)
}

func sortContactsByID(cs []*contact) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].id < cs[j-1].id; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func (s *Sim) contactExists(ex *engine.Exchange) (engine.Reply, error) {
	if _, err := sender(ex); err != nil {
		return engine.Reply{}, err
	}
	idnp := ex.PathParams["idnp"]
	if !digits13.MatchString(idnp) {
		return engine.Reply{}, invalid("idnp", "an IDNP must be strictly 13 digits")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		IDNP             string `json:"idnp"`
		Exists           bool   `json:"exists"`
		HasActiveChannel bool   `json:"hasActiveChannel"`
		Language         string `json:"language,omitempty"`
	}{IDNP: idnp}
	if p := s.st.people[idnp]; p != nil {
		out.Exists, out.Language = true, p.language
		for _, c := range p.contacts {
			if c.active && c.typ != ChannelMCabinet {
				out.HasActiveChannel = true
			}
		}
	}
	return engine.JSON(http.StatusOK, out)
}

func (s *Sim) setContactLanguage(ex *engine.Exchange) (engine.Reply, error) {
	if _, err := sender(ex); err != nil {
		return engine.Reply{}, err
	}
	idnp := ex.PathParams["idnp"]
	if !digits13.MatchString(idnp) {
		return engine.Reply{}, invalid("idnp", "an IDNP must be strictly 13 digits")
	}
	var req struct {
		Language string `json:"language"`
	}
	if err := decode(ex, &req); err != nil {
		return engine.Reply{}, err
	}
	lang, ok := oneOf(req.Language, "ro", "ru", "en")
	if !ok {
		return engine.Reply{}, invalid("Language", "must be ro, ru or en")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.people[idnp]
	if p == nil {
		return engine.Reply{}, failf(http.StatusNotFound, "no person with this IDNP is known")
	}
	p.language = lang
	return engine.JSON(http.StatusOK, idnp)
}
