package mnotify

import (
	"fmt"
	"strings"
	"time"

	"herald/fixtures"
)

// Lifecycle offsets from a notification's creation (Herald design, in the
// spec): the simulator computes statuses from the clock instead of running
// timers, so moving the clock moves every notification on.
const (
	ResolvingAfter = 1 * time.Second
	SendingAfter   = 2 * time.Second
	SentAfter      = 3 * time.Second
	DeliveredAfter = 5 * time.Second
	ReadAfter      = 60 * time.Second // MCabinet messages
	CancelTakes    = 1 * time.Second  // Cancelling, then Cancelled
)

// Notification statuses (vendor-documented names).
const (
	Pending    = "Pending"
	Resolving  = "Resolving"
	Sending    = "Sending"
	Sent       = "Sent"
	Delivered  = "Delivered"
	Read       = "Read"
	Cancelling = "Cancelling"
	Cancelled  = "Cancelled"
	Failed     = "Failed"
)

// Channels (vendor-documented names).
const (
	ChannelEmail    = "Email"
	ChannelSMS      = "SMS"
	ChannelViber    = "Viber"
	ChannelTelegram = "Telegram"
	ChannelWebPush  = "Web push"
	ChannelMCabinet = "MCabinet"
)

// content is a text per language; Ro is required.
type content struct {
	Ro string `json:"ro"`
	Ru string `json:"ru,omitempty"`
	En string `json:"en,omitempty"`
}

// in returns the text in a language, or Romanian when it has none.
func (c content) in(lang string) string {
	switch lang {
	case "ru":
		if c.Ru != "" {
			return c.Ru
		}
	case "en":
		if c.En != "" {
			return c.En
		}
	}
	return c.Ro
}

func (c content) size() int { return len(c.Ro) + len(c.Ru) + len(c.En) }

type notification struct {
	id         string
	seq        uint64
	sender     *Sender
	priority   string
	created    time.Time
	cancelled  time.Time // zero unless cancelled
	recipients []*recipient
	// messages counts the recipients' messages; mcabinet counts those on MCabinet.
	messages, mcabinet int
}

type recipient struct {
	value    string
	typ      string
	isLegal  bool
	failed   bool // no channel to deliver on
	messages []*message
}

type message struct {
	id      string
	seq     uint64
	notif   *notification
	channel string
	to      string // the contact's value: an address, a number, an IDNP
	lang    string
	subject string
	body    string
	// bodyShort is the short body (SMS, push): the body when none was given.
	bodyShort string
}

// status is the notification's status at now, and when it got it.
func (n *notification) status(now time.Time) (string, time.Time) {
	if !n.cancelled.IsZero() {
		if done := n.cancelled.Add(CancelTakes); !now.Before(done) {
			return Cancelled, done
		}
		return Cancelling, n.cancelled
	}
	d := now.Sub(n.created)
	switch {
	case d < ResolvingAfter:
		return Pending, n.created
	case d < SendingAfter:
		return Resolving, n.created.Add(ResolvingAfter)
	}
	if n.messages == 0 {
		return Failed, n.created.Add(SendingAfter)
	}
	switch {
	case d < SentAfter:
		return Sending, n.created.Add(SendingAfter)
	case d < DeliveredAfter:
		return Sent, n.created.Add(SentAfter)
	case d >= ReadAfter && n.mcabinet == n.messages:
		return Read, n.created.Add(ReadAfter)
	}
	return Delivered, n.created.Add(DeliveredAfter)
}

// step is a status a notification went through, and when it got it.
type step struct {
	Status string `json:"status"`
	At     string `json:"at"`
}

// lifecycle is every status the notification went through up to now,
// oldest first, with when it got each: the path status walks.
func (n *notification) lifecycle(now time.Time) []step {
	type mark struct {
		status string
		after  time.Duration
	}
	path := []mark{{Resolving, ResolvingAfter}}
	if n.messages == 0 {
		path = append(path, mark{Failed, SendingAfter})
	} else {
		path = append(path, mark{Sending, SendingAfter}, mark{Sent, SentAfter}, mark{Delivered, DeliveredAfter})
		if n.mcabinet == n.messages {
			path = append(path, mark{Read, ReadAfter})
		}
	}
	end := now
	if !n.cancelled.IsZero() && n.cancelled.Before(end) {
		end = n.cancelled
	}
	out := []step{{Pending, stamp(n.created)}}
	for _, p := range path {
		at := n.created.Add(p.after)
		if at.After(end) {
			break
		}
		out = append(out, step{p.status, stamp(at)})
	}
	if !n.cancelled.IsZero() {
		out = append(out, step{Cancelling, stamp(n.cancelled)})
		if done := n.cancelled.Add(CancelTakes); !now.Before(done) {
			out = append(out, step{Cancelled, stamp(done)})
		}
	}
	return out
}

// status is the recipient's own status at now.
func (r *recipient) status(n *notification, now time.Time) (string, time.Time) {
	st, at := n.status(now)
	if r.failed && now.Sub(n.created) >= SendingAfter && st != Cancelling && st != Cancelled {
		return Failed, n.created.Add(SendingAfter)
	}
	if st == Failed { // the notification failed, this recipient had messages: cannot happen
		return Failed, at
	}
	if st == Read || st == Delivered {
		all := len(r.messages) > 0
		for _, m := range r.messages {
			all = all && m.channel == ChannelMCabinet
		}
		if all && now.Sub(n.created) >= ReadAfter {
			return Read, n.created.Add(ReadAfter)
		}
		return Delivered, n.created.Add(DeliveredAfter)
	}
	return st, at
}

// status is the message's status at now: Pending until sent.
func (m *message) status(now time.Time) (string, time.Time) {
	n := m.notif
	if !n.cancelled.IsZero() {
		return Cancelled, n.cancelled
	}
	d := now.Sub(n.created)
	switch {
	case d < SentAfter:
		return Pending, n.created
	case d < DeliveredAfter:
		return Sent, n.created.Add(SentAfter)
	case d >= ReadAfter && m.channel == ChannelMCabinet:
		return Read, n.created.Add(ReadAfter)
	}
	return Delivered, n.created.Add(DeliveredAfter)
}

// cancellable reports whether the notification is not yet transmitted.
func (n *notification) cancellable(now time.Time) (bool, string) {
	st, _ := n.status(now)
	return st == Pending || st == Resolving || st == Sending, st
}

type template struct {
	id          string
	seq         uint64
	sender      *Sender
	name        string
	description string
	subject     content
	body        content
	bodyShort   *content
	created     time.Time
	updated     time.Time
	lastUsed    time.Time
}

func (t *template) short() content {
	if t.bodyShort != nil {
		return *t.bodyShort
	}
	return t.body
}

type person struct {
	idnp      string
	firstName string
	lastName  string
	language  string
	contacts  []*contact // in the order added, which is createdAt order
}

type contact struct {
	id        string
	seq       uint64
	idnp      string
	typ       string
	value     string
	active    bool
	verified  bool
	created   time.Time
	createdBy string
}

// deliverable reports whether messages go out on the contact: active, and
// not SMS, which the vendor lists as under development.
func (c *contact) deliverable() bool { return c.active && c.typ != ChannelSMS }

// senderState holds one sender's indexes. Lists are served from them, so a
// page costs O(log n) in the sender's records and nothing in anyone else's.
type senderState struct {
	notifByID      *ordered[*notification]
	notifByCreated *ordered[*notification]
	tmplByID       *ordered[*template]
	tmplByCreated  *ordered[*template]
	tmplByName     map[string]*template // lowercase name
	history        map[string]*history  // by IDNP or IDNO
}

type history struct {
	byID      *ordered[*message]
	byCreated *ordered[*message]
}

// state is everything the simulator holds; Sim guards it with its mutex.
type state struct {
	seq           uint64
	notifications map[string]*notification
	templates     map[string]*template
	senders       map[string]*senderState
	people        map[string]*person
}

func newState(seed *fixtures.MNotifySeed, now time.Time, newID func() string) *state {
	st := &state{
		notifications: map[string]*notification{},
		templates:     map[string]*template{},
		senders:       map[string]*senderState{},
		people:        map[string]*person{},
	}
	for _, p := range seed.People {
		pp := &person{idnp: p.IDNP, firstName: p.FirstName, lastName: p.LastName, language: p.Language}
		for _, c := range p.Contacts {
			pp.contacts = append(pp.contacts, &contact{id: newID(), seq: st.next(), idnp: p.IDNP, typ: canonicalChannel(c.Type),
				value: c.Value, active: c.Active, verified: c.Verified, created: now, createdBy: "MNotify"})
		}
		st.people[p.IDNP] = pp
	}
	for _, e := range seed.Registry {
		st.seedHistory(e, now, newID)
	}
	return st
}

// seedHistory gives a registered sender the notifications and templates its
// seed says it already sent, an hour apart and the last an hour before now
// (the simulator's start, or its reset), so that what a sender has can be
// read, paged and ordered without sending anything first.
func (st *state) seedHistory(e fixtures.MPassEntry, now time.Time, newID func() string) {
	if e.History.Notifications == 0 && e.History.Templates == 0 {
		return
	}
	snd := &Sender{ID: e.SenderID, Name: e.Name, IDNO: e.IDNO}
	ss := st.sender(snd.ID)
	for i := 1; i <= e.History.Notifications; i++ {
		at := now.Add(-time.Duration(e.History.Notifications-i+1) * time.Hour)
		n := &notification{id: newID(), seq: st.next(), sender: snd, priority: "Low", created: at}
		to := fmt.Sprintf("history.%d@example.md", i)
		rc := &recipient{value: to, typ: "Email"}
		subject := content{Ro: fmt.Sprintf("Istoric %d", i), En: fmt.Sprintf("History %d", i)}
		m := &message{id: newID(), seq: st.next(), notif: n, channel: ChannelEmail, to: to, lang: "ro", subject: subject.Ro,
			body: "Trimis înainte de pornire.", bodyShort: "Trimis înainte de pornire."}
		rc.messages = append(rc.messages, m)
		n.messages++
		n.recipients = append(n.recipients, rc)
		st.add(ss, n)
	}
	for i := 1; i <= e.History.Templates; i++ {
		at := now.Add(-time.Duration(e.History.Templates-i+1) * time.Hour)
		t := &template{id: newID(), seq: st.next(), sender: snd, created: at, updated: at,
			name: fmt.Sprintf("Istoric %d", i), description: "Seeded history",
			subject: content{Ro: fmt.Sprintf("Istoric %d", i)}, body: content{Ro: "Dragă {{RecipientFirstName}}"},
			bodyShort: &content{Ro: "Istoric"}}
		st.templates[t.id] = t
		ss.tmplByName[strings.ToLower(t.name)] = t
		ss.tmplByID.Insert(t, spread(t.seq))
		ss.tmplByCreated.Insert(t, spread(t.seq))
	}
}

func (st *state) next() uint64 {
	st.seq++
	return st.seq
}

func (st *state) sender(id string) *senderState {
	ss := st.senders[id]
	if ss == nil {
		ss = &senderState{
			notifByID:      newOrdered(func(a, b *notification) bool { return a.id < b.id }),
			notifByCreated: newOrdered(byCreated(func(n *notification) (time.Time, uint64) { return n.created, n.seq })),
			tmplByID:       newOrdered(func(a, b *template) bool { return a.id < b.id }),
			tmplByCreated:  newOrdered(byCreated(func(t *template) (time.Time, uint64) { return t.created, t.seq })),
			tmplByName:     map[string]*template{},
			history:        map[string]*history{},
		}
		st.senders[id] = ss
	}
	return ss
}

func (ss *senderState) historyOf(idnp string) *history {
	h := ss.history[idnp]
	if h == nil {
		h = &history{
			byID: newOrdered(func(a, b *message) bool {
				if a.notif.id != b.notif.id {
					return a.notif.id < b.notif.id
				}
				return a.id < b.id
			}),
			byCreated: newOrdered(byCreated(func(m *message) (time.Time, uint64) { return m.notif.created, m.seq })),
		}
		ss.history[idnp] = h
	}
	return h
}

// byCreated orders by creation time, then by sequence number.
func byCreated[T any](key func(T) (time.Time, uint64)) func(a, b T) bool {
	return func(a, b T) bool {
		ta, sa := key(a)
		tb, sb := key(b)
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return sa < sb
	}
}

// canonicalChannel spells a channel as the spec does; "" when unknown.
func canonicalChannel(s string) string {
	for _, c := range [...]string{ChannelEmail, ChannelSMS, ChannelViber, ChannelTelegram, ChannelWebPush, ChannelMCabinet} {
		if strings.EqualFold(c, s) || (c == ChannelWebPush && strings.EqualFold(s, "WebPush")) {
			return c
		}
	}
	return ""
}
