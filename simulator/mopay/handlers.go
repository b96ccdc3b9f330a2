package mopay

import (
	"crypto/subtle"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"

	"herald/simulator/engine"
	wire "herald/specs/wire/mopay"
)

// Behaviour constants (Herald design, see the spec).
const (
	PageSize        = 15
	DefaultCursor   = "123456789001"
	CodeLifetime    = 600 * time.Second
	CodeResendDelay = 60 * time.Second
)

func (s *Sim) handlers() map[string]engine.Handler {
	return map[string]engine.Handler{
		"user_profile_create":          s.handleProfileCreate,
		"user_profile_login":           s.handleProfileLogin,
		"user_email_verification_send": s.handleEmailVerificationSend,
		"user_notice_fetch":            s.handleNoticeFetch,
		"user_notification_fetch":      s.handleNotificationFetch,
		"user_newsletter_create":       s.handleNewsletterCreate,
		"user_location_fetch":          s.handleLocationFetch,
	}
}

// profileRequest is the body of user_profile_create and user_profile_login.
type profileRequest struct {
	First, Last, Email, Password       string
	DevType, DevSer, DevName, Referral string
	TokType, Token, Channel            string
}

type credentials struct {
	UserID  string `json:"userid"`
	PbcKey  string `json:"pbcKey"`
	Secret  string `json:"secret"`
	COMMENT string `json:"COMMENT"`
}

func (s *Sim) decodeProfile(ex *engine.Exchange) (profileRequest, error) {
	// Read the exact keys the spec check saw: encoding/json would also match
	// "EMAL" or "Emal", which the check never validated. A repeated key
	// keeps its last value, as it did for the check.
	var m map[string]any
	if err := json.Unmarshal(ex.Body, &m); err != nil || m == nil {
		return profileRequest{}, fail("body_invalid", "the body could not be decoded as a JSON object")
	}
	get := func(key string) string { v, _ := m[key].(string); return v }
	return profileRequest{
		First: get("fsnm"), Last: get("lsnm"), Email: get("emal"), Password: get("pswd"),
		DevType: get("devt"), DevSer: get("devs"), DevName: get("devn"), Referral: get("refx"),
		TokType: get("tktp"), Token: get("phtk"), Channel: get("chid"),
	}, nil
}

// strongPassword is the vendor's rule: at least 8 characters, with an
// uppercase letter, a lowercase letter and a number.
func strongPassword(p string) bool {
	var upper, lower, digit bool
	for _, r := range p {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
		digit = digit || unicode.IsDigit(r)
	}
	return len([]rune(p)) >= 8 && upper && lower && digit
}

// issueKeys gives a device a new key pair and revokes its previous one; how
// is "registration" or "login", for the journal. Call with s.mu held.
func (s *Sim) issueKeys(u *user, in profileRequest, how string) credentials {
	slot := u.id + "\x00" + in.DevSer
	if old, ok := s.st.deviceKeys[slot]; ok {
		delete(s.st.keys, old)
		delete(s.st.rate, old)
	}
	d := &device{userID: u.id, serial: in.DevSer, typ: in.DevType, name: in.DevName, pbcKey: s.random.Hex(32), secret: s.random.Hex(64),
		about: keyAbout(how, u, in.DevSer, s.clock.Now())}
	d.signer = wire.NewSigner(d.secret)
	s.st.keys[d.pbcKey] = d
	s.st.deviceKeys[slot] = d.pbcKey
	if in.Token != "" {
		s.registerPushToken(u.id, in)
	}
	return credentials{UserID: u.id, PbcKey: d.pbcKey, Secret: d.secret, COMMENT: "Operation successful!"}
}

// registerPushToken records a notification (push) registration for the
// user's device, once per token. Call with s.mu held.
func (s *Sim) registerPushToken(userID string, in profileRequest) {
	if s.st.notifications.byToken[userID+"\x00"+in.Token] != nil {
		return
	}
	tokType := in.TokType
	if tokType == "" {
		tokType = "ExponentPushToken"
	}
	now := s.clock.Now().Unix()
	rec := &notification{Marker: "ntf_" + s.random.Digits(9), UserID: userID, TokenType: tokType,
		PushToken: in.Token, ChannelID: in.Channel, Status: "active", Recorded: strconv.FormatInt(now, 10), at: now}
	s.st.notifications.add(rec)
}

// handleProfileCreate handles "POST /user_profile_create".
func (s *Sim) handleProfileCreate(ex *engine.Exchange) (engine.Reply, error) {
	in, err := s.decodeProfile(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	if !strongPassword(in.Password) {
		return engine.Reply{}, fail("pswd_invalid", "body field pswd needs at least 8 characters, with an uppercase letter, a lowercase letter and a number")
	}
	email := strings.ToLower(in.Email)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.byEmail[email] != nil {
		return engine.Reply{}, fail("already_registered", "body field emal: this address already has an account")
	}
	u := &user{first: in.First, last: in.Last, email: email}
	for u.id == "" || s.st.users[u.id] != nil {
		u.id = "usr_" + s.random.Alnum(10)
	}
	_, _ = s.random.Read(u.salt[:])
	u.hash = hashPassword(u.salt, in.Password)
	s.st.users[u.id], s.st.byEmail[email] = u, u
	now := s.clock.Now().Unix()
	welcome := &notice{Marker: "ntc_" + s.random.Digits(9), UserID: u.id, Subject: "Welcome to Mopay",
		Message:  "Your account has been created. Verify your email address to use all features.",
		Recorded: strconv.FormatInt(now, 10), at: now}
	s.st.notices[u.id] = []*notice{welcome.encode()}
	return ok(ex, s.issueKeys(u, in, "registration"))
}

// handleProfileLogin handles "POST /user_profile_login".
func (s *Sim) handleProfileLogin(ex *engine.Exchange) (engine.Reply, error) {
	in, err := s.decodeProfile(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.byEmail[strings.ToLower(in.Email)]
	if u == nil || !u.passwordIs(in.Password) {
		return engine.Reply{}, fail("login_failed", "no account has this email address and password")
	}
	return ok(ex, s.issueKeys(u, in, "login"))
}

type comment struct {
	COMMENT string `json:"COMMENT"`
}

// handleEmailVerificationSend handles "GET /user_email_verification_send".
func (s *Sim) handleEmailVerificationSend(ex *engine.Exchange) (engine.Reply, error) {
	email := strings.ToLower(ex.Query().Get("emal"))
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.st.codes[email]; prev != nil && now.Sub(prev.sent) < CodeResendDelay && !now.Before(prev.sent) {
		e := fail("too_many_requests", "a code was sent to this address %d s ago; wait %d s between codes",
			int(now.Sub(prev.sent).Seconds()), int(CodeResendDelay.Seconds()))
		e.RetryAfter = max(1, int((CodeResendDelay-now.Sub(prev.sent)).Seconds()+0.999))
		return engine.Reply{}, e
	}
	s.st.codes[email] = &verification{code: s.random.Digits(6), sent: now, expires: now.Add(CodeLifetime)}
	return ok(ex, comment{COMMENT: "Verification code sent!"})
}

// handleNewsletterCreate handles "GET /user_newsletter_create".
func (s *Sim) handleNewsletterCreate(ex *engine.Exchange) (engine.Reply, error) {
	q := ex.Query()
	email, code := strings.ToLower(q.Get("emal")), q.Get("code")
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.codes[email]
	switch {
	case v == nil:
		return engine.Reply{}, fail("code_incorrect", "no verification code was sent to this address, or it was already used")
	case subtle.ConstantTimeCompare([]byte(v.code), []byte(code)) != 1:
		return engine.Reply{}, fail("code_incorrect", "query parameter code does not match the last code sent to this address")
	case now.After(v.expires):
		delete(s.st.codes, email)
		return engine.Reply{}, fail("code_incorrect", "the code expired %d s after it was sent", int(CodeLifetime.Seconds()))
	}
	delete(s.st.codes, email)
	if s.st.subscribed[email] {
		return engine.Reply{}, fail("already_subscribed", "query parameter emal is subscribed already")
	}
	s.st.subscribed[email] = true
	return ok(ex, comment{COMMENT: "Operation successful!"})
}

// handleNoticeFetch handles "GET /user_notice_fetch".
func (s *Sim) handleNoticeFetch(ex *engine.Exchange) (engine.Reply, error) {
	dev := ex.Principal.(*device)
	page := ex.Query().Get("page")
	if page == "" {
		page = DefaultCursor
	}
	cursor, err := strconv.ParseInt(page, 10, 64)
	if err != nil {
		return engine.Reply{}, fail("process_failed", "query parameter page must be a unix timestamp")
	}
	s.mu.Lock()
	defer s.mu.Unlock() // notices never change once made: encoding under the lock is safe and short
	records := pageOf(s.st.notices[dev.userID], cursor, PageSize)
	if len(records) == 0 {
		return engine.Reply{}, fail("response_empty", "no notice was recorded before %s", page)
	}
	// DATA is {"result":[…],"pagination":"<recorded of the last>"}, from
	// the notices' own encodings.
	size := 160
	for _, n := range records {
		size += len(n.raw) + 1
	}
	b := append(appendOKHead(make([]byte, 0, size), ex), `{"result":[`...)
	for i, n := range records {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n.raw...)
	}
	b = append(append(append(b, `],"pagination":"`...), records[len(records)-1].Recorded...), `"}`...)
	return replyOK(appendOKTail(b)), nil
}

// handleNotificationFetch handles "GET /user_notification_fetch".
func (s *Sim) handleNotificationFetch(ex *engine.Exchange) (engine.Reply, error) {
	dev := ex.Principal.(*device)
	q := ex.Query()
	rqtp, rqvl := q.Get("rqtp"), q.Get("rqvl")
	if rqtp == "mk" && rqvl == "" {
		return engine.Reply{}, fail("process_error", "query parameter rqvl must name a notification marker when rqtp is mk")
	}
	s.mu.Lock()
	ix := s.st.notifications
	var out []*notification
	switch rqtp {
	case "user":
		uid := rqvl
		if uid == "" {
			uid = dev.userID
		}
		out = newest(ix.byUser[uid], MaxNotifications)
	case "mk":
		if n := ix.byMarker[rqvl]; n != nil {
			out = []*notification{n}
		}
	default: // "all"; the spec's enum rules out anything else
		out = newest(ix.all, MaxNotifications)
	}
	s.mu.Unlock()
	if len(out) == 0 {
		return engine.Reply{}, fail("response_empty", "no notification matches rqtp=%s", rqtp)
	}
	return ok(ex, out)
}

func filter[R any](rs []R, match func(R) bool) []R {
	out := []R{}
	for _, r := range rs {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// handleLocationFetch handles "GET /user_location_fetch".
func (s *Sim) handleLocationFetch(ex *engine.Exchange) (engine.Reply, error) {
	q := ex.Query()
	rtyp, rqvl, page := q.Get("rtyp"), q.Get("rqvl"), q.Get("page")
	if rtyp == "" {
		rtyp = "all"
		if rqvl != "" {
			rtyp = "mk"
		}
	}
	if rqvl == "" {
		rqvl = "false"
	}
	unfiltered := rqvl == "false"
	eq := func(a string) bool { return unfiltered || strings.EqualFold(a, rqvl) }
	var match func(*location) bool
	switch rtyp {
	case "countries":
		match = func(l *location) bool { return eq(l.CntISO) || eq(l.Country) }
	case "states":
		match = func(l *location) bool { return eq(l.Region) }
	case "cities":
		match = func(l *location) bool { return eq(l.City) }
	case "mk":
		match = func(l *location) bool { return l.Marker == rqvl }
	default:
		match = func(*location) bool { return true }
	}
	s.mu.Lock()
	out := filter(s.st.locations, match)
	s.mu.Unlock()
	if page != "" {
		cursor, err := strconv.ParseInt(page, 10, 64)
		if err != nil {
			return engine.Reply{}, fail("not_found", "query parameter page must be a unix timestamp")
		}
		out = pageOf(out, cursor, PageSize)
	}
	if len(out) == 0 {
		return engine.Reply{}, fail("not_found", "no location matches rtyp=%s rqvl=%s", rtyp, rqvl)
	}
	return ok(ex, out)
}
