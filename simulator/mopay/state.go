package mopay

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"herald/fixtures"
	wire "herald/specs/wire/mopay"
)

// notice, notification and location are records as the API shows them:
// string fields only, in the vendor's names and order.
type notice struct {
	Marker   string `json:"marker"`
	UserID   string `json:"userid"`
	Subject  string `json:"subject"`
	Message  string `json:"message"`
	Recorded string `json:"recorded"`
	at       int64
	raw      []byte // the JSON encoding, made once: pages are served often
}

// encode sets the notice's JSON encoding; call it once the fields are set.
func (n *notice) encode() *notice {
	type plain notice // without methods, to marshal the fields
	n.raw, _ = json.Marshal((*plain)(n))
	return n
}

type notification struct {
	Marker    string `json:"marker"`
	UserID    string `json:"userid"`
	TokenType string `json:"token_type"`
	PushToken string `json:"push_token"`
	ChannelID string `json:"channel_Id"`
	Status    string `json:"status"`
	Recorded  string `json:"recorded"`
	at        int64
}

type location struct {
	Marker   string `json:"marker"`
	UserID   string `json:"userid"`
	IP       string `json:"ip"`
	City     string `json:"city"`
	Region   string `json:"region"`
	Country  string `json:"country"`
	ISP      string `json:"isp"`
	TimeZone string `json:"timeZone"`
	Axis     string `json:"axis"`
	CntISO   string `json:"cntiso"`
	Status   string `json:"status"`
	Recorded string `json:"recorded"`
	at       int64
}

func (n *notice) recorded() int64       { return n.at }
func (n *notification) recorded() int64 { return n.at }
func (l *location) recorded() int64     { return l.at }

// record is what pagination and ordering need of a record.
type record interface{ recorded() int64 }

// fromSeed converts seed records into typed ones, with their times parsed.
func fromSeed[T any, P interface {
	*T
	record
}](seed []map[string]string, setAt func(P, int64)) ([]P, error) {
	out := make([]P, 0, len(seed))
	for _, m := range seed {
		b, _ := json.Marshal(m)
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		at, err := strconv.ParseInt(m["recorded"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("record %s: recorded %q is not unix seconds", m["marker"], m["recorded"])
		}
		p := P(&v)
		setAt(p, at)
		out = append(out, p)
	}
	newestFirst(out)
	return out, nil
}

type user struct {
	id, first, last, email string
	salt, hash             [32]byte
}

// device is a key pair issued to one device of a user.
type device struct {
	userID, serial, typ, name string
	pbcKey, secret            string
	signer                    *wire.Signer
	// about names the key for the journal: how, to whom and when it was
	// issued (keyAbout), never its value.
	about string
}

type verification struct {
	code    string
	sent    time.Time
	expires time.Time
}

type window struct {
	start time.Time
	count int
}

// state is everything the Mopay simulator remembers, guarded by Sim.mu. A
// reset replaces it whole, so no part of it can outlive a reset.
type state struct {
	users         map[string]*user     // by user id
	byEmail       map[string]*user     // by lower-case email
	keys          map[string]*device   // by pbcKey
	deviceKeys    map[string]string    // user id + "\x00" + serial -> pbcKey
	notices       map[string][]*notice // by user id, newest first
	notifications *notificationIndex
	locations     []*location              // newest first
	codes         map[string]*verification // by lower-case email
	subscribed    map[string]bool
	rate          map[string]*window // by pbcKey
}

func hashPassword(salt [32]byte, password string) [32]byte {
	return sha256.Sum256(append(salt[:], password...))
}

func (u *user) passwordIs(password string) bool {
	h := hashPassword(u.salt, password)
	return subtle.ConstantTimeCompare(h[:], u.hash[:]) == 1
}

// seedRecords are the seed's records, parsed once per Herald: every world's
// state starts from copies of them.
type seedRecords struct {
	seed          *fixtures.MopaySeed
	notices       []*notice
	notifications []*notification
	locations     []*location
}

// parseSeed parses the seed's records, newest first.
func parseSeed(seed *fixtures.MopaySeed) (*seedRecords, error) {
	r := &seedRecords{seed: seed}
	var err error
	if r.notices, err = fromSeed(seed.Notices, func(n *notice, at int64) { n.at = at; n.encode() }); err != nil {
		return nil, fmt.Errorf("mopay seed notices: %w", err)
	}
	if r.notifications, err = fromSeed(seed.Notifications, func(n *notification, at int64) { n.at = at }); err != nil {
		return nil, fmt.Errorf("mopay seed notifications: %w", err)
	}
	if r.locations, err = fromSeed(seed.Locations, func(l *location, at int64) { l.at = at }); err != nil {
		return nil, fmt.Errorf("mopay seed locations: %w", err)
	}
	return r, nil
}

// copies returns a copy of each record, so that a world never changes what
// another reads.
func copies[T any](in []*T) []*T {
	out := make([]*T, len(in))
	for i, p := range in {
		v := *p
		out[i] = &v
	}
	return out
}

// newState builds the state from the parsed seed.
func (s *Sim) newState(records *seedRecords) (*state, error) {
	seed := records.seed
	st := &state{
		users: map[string]*user{}, byEmail: map[string]*user{}, keys: map[string]*device{},
		deviceKeys: map[string]string{}, notices: map[string][]*notice{}, codes: map[string]*verification{},
		subscribed: map[string]bool{}, rate: map[string]*window{},
	}
	for _, u := range seed.Users {
		nu := &user{id: u.UserID, first: u.First, last: u.Last, email: strings.ToLower(u.Email)}
		_, _ = s.random.Read(nu.salt[:])
		nu.hash = hashPassword(nu.salt, u.Password)
		st.users[nu.id], st.byEmail[nu.email] = nu, nu
	}
	for _, n := range copies(records.notices) {
		if st.users[n.UserID] == nil {
			return nil, fmt.Errorf("mopay seed: notice %s belongs to unknown user %s", n.Marker, n.UserID)
		}
		st.notices[n.UserID] = append(st.notices[n.UserID], n)
	}
	seeded := copies(records.notifications)
	st.notifications = newNotificationIndex()
	for i := len(seeded) - 1; i >= 0; i-- { // oldest first
		st.notifications.add(seeded[i])
	}
	st.locations = copies(records.locations)
	for _, e := range seed.Newsletter {
		st.subscribed[strings.ToLower(e)] = true
	}
	return st, nil
}

func newestFirst[R record](rs []R) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].recorded() > rs[j].recorded() })
}

// pageOf returns up to size records older than cursor, from a newest-first list.
func pageOf[R record](rs []R, cursor int64, size int) []R {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].recorded() < cursor })
	end := min(i+size, len(rs))
	return rs[i:end]
}

// MaxNotifications bounds a user_notification_fetch answer: the newest
// records, at most this many (Herald design, see the spec).
const MaxNotifications = 100

// notificationIndex holds the notification records so that no request's cost
// grows with their number: lists are kept oldest first, so a new record is
// appended (the clock rarely moves back), and looked up by user, marker and
// push token.
type notificationIndex struct {
	all      []*notification
	byUser   map[string][]*notification
	byMarker map[string]*notification
	byToken  map[string]*notification // user id + "\x00" + push token
}

func newNotificationIndex() *notificationIndex {
	return &notificationIndex{byUser: map[string][]*notification{}, byMarker: map[string]*notification{}, byToken: map[string]*notification{}}
}

func (ix *notificationIndex) add(n *notification) {
	ix.all = insertByTime(ix.all, n)
	ix.byUser[n.UserID] = insertByTime(ix.byUser[n.UserID], n)
	ix.byMarker[n.Marker] = n
	ix.byToken[n.UserID+"\x00"+n.PushToken] = n
}

// insertByTime adds n to an oldest-first list: appended when it is the
// newest, as it nearly always is.
func insertByTime(list []*notification, n *notification) []*notification {
	if len(list) == 0 || list[len(list)-1].at <= n.at {
		return append(list, n)
	}
	i := sort.Search(len(list), func(i int) bool { return list[i].at > n.at })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = n
	return list
}

// newest returns up to limit records of an oldest-first list, newest first.
func newest(list []*notification, limit int) []*notification {
	out := make([]*notification, 0, min(limit, len(list)))
	for i := len(list) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, list[i])
	}
	return out
}
