package mnotify

import (
	"fmt"
	"testing"
	"time"

	"herald/fixtures"
)

// TestSeededHistoryTimesAndOrder pins what seedHistory makes: exactly the
// counts the seed gives, each sender's items an hour apart, the last an
// hour before now, in the order they are numbered; a sender with neither
// gets no state at all.
func TestSeededHistoryTimesAndOrder(t *testing.T) {
	entry := func(id string, notifications, templates int) fixtures.MPassEntry {
		var e fixtures.MPassEntry
		e.SenderID, e.Name = id, "Sender "+id
		e.History.Notifications, e.History.Templates = notifications, templates
		return e
	}
	seed := &fixtures.MNotifySeed{Registry: []fixtures.MPassEntry{
		entry("both", 3, 2), entry("templates-only", 0, 2), entry("notifications-only", 2, 0), entry("none", 0, 0),
	}}
	ids := 0
	st := newState(seed, start, func() string { ids++; return fmt.Sprintf("id-%03d", ids) })

	if _, ok := st.senders["none"]; ok {
		t.Errorf("a sender without history has seeded state")
	}
	want := map[string][2]int{"both": {3, 2}, "templates-only": {0, 2}, "notifications-only": {2, 0}}
	total := [2]int{}
	for id, w := range want {
		ss := st.senders[id]
		if ss == nil {
			t.Fatalf("sender %s has no seeded state", id)
		}
		if ss.notifByCreated.Len() != w[0] || ss.notifByID.Len() != w[0] || ss.tmplByCreated.Len() != w[1] || ss.tmplByID.Len() != w[1] || len(ss.tmplByName) != w[1] {
			t.Fatalf("sender %s: %d/%d notifications, %d/%d/%d templates, want %d and %d", id,
				ss.notifByCreated.Len(), ss.notifByID.Len(), ss.tmplByCreated.Len(), ss.tmplByID.Len(), len(ss.tmplByName), w[0], w[1])
		}
		total[0] += w[0]
		total[1] += w[1]
		var lastSeq uint64
		for i := 0; i < w[0]; i++ {
			n := ss.notifByCreated.At(i)
			wantAt := start.Add(-time.Duration(w[0]-i) * time.Hour)
			if !n.created.Equal(wantAt) || n.sender.ID != id || n.seq <= lastSeq {
				t.Errorf("%s's notification %d: created %v (seq %d, sender %s), want %v after seq %d", id, i+1, n.created, n.seq, n.sender.ID, wantAt, lastSeq)
			}
			lastSeq = n.seq
			to := fmt.Sprintf("history.%d@example.md", i+1)
			if len(n.recipients) != 1 || n.recipients[0].value != to || n.messages != 1 || len(n.recipients[0].messages) != 1 ||
				n.recipients[0].messages[0].subject != fmt.Sprintf("Istoric %d", i+1) || n.recipients[0].messages[0].notif != n {
				t.Errorf("%s's notification %d is not one e-mail to %s: %+v", id, i+1, to, n)
			}
			if st.notifications[n.id] != n {
				t.Errorf("%s's notification %d is not in the store", id, i+1)
			}
		}
		lastSeq = 0
		for i := 0; i < w[1]; i++ {
			tm := ss.tmplByCreated.At(i)
			wantAt := start.Add(-time.Duration(w[1]-i) * time.Hour)
			name := fmt.Sprintf("Istoric %d", i+1)
			if !tm.created.Equal(wantAt) || !tm.updated.Equal(wantAt) || tm.name != name || tm.seq <= lastSeq || tm.sender.ID != id {
				t.Errorf("%s's template %d: %q created %v updated %v (seq %d), want %q at %v after seq %d", id, i+1, tm.name, tm.created, tm.updated, tm.seq, name, wantAt, lastSeq)
			}
			lastSeq = tm.seq
			if st.templates[tm.id] != tm || ss.tmplByName["istoric "+fmt.Sprint(i+1)] != tm {
				t.Errorf("%s's template %d is not found by id and by lowercase name", id, i+1)
			}
		}
	}
	if len(st.notifications) != total[0] || len(st.templates) != total[1] {
		t.Fatalf("the store holds %d notifications and %d templates, want %d and %d", len(st.notifications), len(st.templates), total[0], total[1])
	}
}
