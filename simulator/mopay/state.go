package mopay

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"herald/fixtures"
)

// Record is a notice, notification or location as the API shows it: string
// fields only, in the vendor's names.
type Record map[string]string

func (r Record) recorded() int64 {
	n, _ := strconv.ParseInt(r["recorded"], 10, 64)
	return n
}

type user struct {
	id, first, last, email string
	salt, hash             [32]byte
}

// device is a key pair issued to one device of a user.
type device struct {
	userID, serial, typ, name string
	pbcKey, secret            string
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

// state is everything the Mopay simulator remembers. Guard it with mu.
type state struct {
	mu            sync.Mutex
	users         map[string]*user   // by user id
	byEmail       map[string]*user   // by lower-case email
	keys          map[string]*device // by pbcKey
	deviceKeys    map[string]string  // user id + "\x00" + serial -> pbcKey
	notices       map[string][]Record
	notifications []Record
	locations     []Record
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

// newState builds the state from the seed.
func (s *Sim) newState(seed *fixtures.MopaySeed) (*state, error) {
	st := &state{
		users: map[string]*user{}, byEmail: map[string]*user{}, keys: map[string]*device{},
		deviceKeys: map[string]string{}, notices: map[string][]Record{}, codes: map[string]*verification{},
		subscribed: map[string]bool{}, rate: map[string]*window{},
	}
	for _, u := range seed.Users {
		nu := &user{id: u.UserID, first: u.First, last: u.Last, email: strings.ToLower(u.Email)}
		_, _ = s.random.Read(nu.salt[:])
		nu.hash = hashPassword(nu.salt, u.Password)
		st.users[nu.id], st.byEmail[nu.email] = nu, nu
	}
	for _, n := range seed.Notices {
		if st.users[n["userid"]] == nil {
			return nil, fmt.Errorf("mopay seed: notice %s belongs to unknown user %s", n["marker"], n["userid"])
		}
		st.notices[n["userid"]] = append(st.notices[n["userid"]], Record(n))
	}
	for uid := range st.notices {
		newestFirst(st.notices[uid])
	}
	for _, n := range seed.Notifications {
		st.notifications = append(st.notifications, Record(n))
	}
	newestFirst(st.notifications)
	for _, l := range seed.Locations {
		st.locations = append(st.locations, Record(l))
	}
	newestFirst(st.locations)
	for _, e := range seed.Newsletter {
		st.subscribed[strings.ToLower(e)] = true
	}
	return st, nil
}

func newestFirst(rs []Record) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].recorded() > rs[j].recorded() })
}

// pageOf returns up to size records older than cursor, from a newest-first list.
func pageOf(rs []Record, cursor int64, size int) []Record {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].recorded() < cursor })
	end := min(i+size, len(rs))
	return rs[i:end]
}
