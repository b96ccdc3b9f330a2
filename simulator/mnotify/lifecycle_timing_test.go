package mnotify

import (
	"testing"
	"time"
)

// TestLifecycleTimingBounds pins each status change of a notification, a
// recipient and a message to its exact offset: one nanosecond before, the
// old status; at the offset, the new one, dated at the offset.
func TestLifecycleTimingBounds(t *testing.T) {
	ns := time.Nanosecond
	type want struct {
		status string
		at     time.Duration // after creation
	}
	check := func(t *testing.T, what string, d time.Duration, got string, gotAt, created time.Time, w want) {
		t.Helper()
		if got != w.status || !gotAt.Equal(created.Add(w.at)) {
			t.Errorf("%s at +%v: %s since +%v, want %s since +%v", what, d, got, gotAt.Sub(created), w.status, w.at)
		}
	}
	// One notification, two recipients: one on MCabinet only, one by email.
	newNotif := func() (*notification, *recipient, *recipient) {
		n := &notification{created: start}
		cab := &recipient{value: "2222222222222", typ: "IDNP"}
		cab.messages = []*message{{notif: n, channel: ChannelMCabinet}}
		mail := &recipient{value: "a@example.md", typ: "Email"}
		mail.messages = []*message{{notif: n, channel: ChannelEmail}}
		n.recipients = []*recipient{cab, mail}
		n.messages, n.mcabinet = 2, 1
		return n, cab, mail
	}

	t.Run("notification", func(t *testing.T) {
		n, _, _ := newNotif()
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{0, want{Pending, 0}},
			{ResolvingAfter - ns, want{Pending, 0}},
			{ResolvingAfter, want{Resolving, ResolvingAfter}},
			{SendingAfter - ns, want{Resolving, ResolvingAfter}},
			{SendingAfter, want{Sending, SendingAfter}},
			{SentAfter - ns, want{Sending, SendingAfter}},
			{SentAfter, want{Sent, SentAfter}},
			{DeliveredAfter - ns, want{Sent, SentAfter}},
			{DeliveredAfter, want{Delivered, DeliveredAfter}},
			{ReadAfter, want{Delivered, DeliveredAfter}}, // one message is not on MCabinet
		} {
			st, at := n.status(start.Add(c.d))
			check(t, "notification", c.d, st, at, start, c.w)
		}
		n.mcabinet = n.messages
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{ReadAfter - ns, want{Delivered, DeliveredAfter}},
			{ReadAfter, want{Read, ReadAfter}},
		} {
			st, at := n.status(start.Add(c.d))
			check(t, "all-MCabinet notification", c.d, st, at, start, c.w)
		}
		empty := &notification{created: start}
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{SendingAfter - ns, want{Resolving, ResolvingAfter}},
			{SendingAfter, want{Failed, SendingAfter}},
			{ReadAfter, want{Failed, SendingAfter}},
		} {
			st, at := empty.status(start.Add(c.d))
			check(t, "notification without messages", c.d, st, at, start, c.w)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		n, _, _ := newNotif()
		n.cancelled = start.Add(ResolvingAfter)
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{ResolvingAfter, want{Cancelling, ResolvingAfter}},
			{ResolvingAfter + CancelTakes - ns, want{Cancelling, ResolvingAfter}},
			{ResolvingAfter + CancelTakes, want{Cancelled, ResolvingAfter + CancelTakes}},
			{ReadAfter, want{Cancelled, ResolvingAfter + CancelTakes}},
		} {
			st, at := n.status(start.Add(c.d))
			check(t, "cancelled notification", c.d, st, at, start, c.w)
		}
		m := n.recipients[0].messages[0]
		st, at := m.status(start.Add(ReadAfter))
		check(t, "cancelled message", ReadAfter, st, at, start, want{Cancelled, ResolvingAfter})
	})

	t.Run("recipient", func(t *testing.T) {
		n, cab, mail := newNotif()
		for _, c := range []struct {
			r    *recipient
			name string
			d    time.Duration
			w    want
		}{
			{cab, "MCabinet recipient", SentAfter, want{Sent, SentAfter}},
			{cab, "MCabinet recipient", DeliveredAfter, want{Delivered, DeliveredAfter}},
			{cab, "MCabinet recipient", ReadAfter - ns, want{Delivered, DeliveredAfter}},
			{cab, "MCabinet recipient", ReadAfter, want{Read, ReadAfter}},
			{mail, "email recipient", ReadAfter, want{Delivered, DeliveredAfter}},
			{&recipient{}, "recipient without messages", ReadAfter, want{Delivered, DeliveredAfter}},
		} {
			st, at := c.r.status(n, start.Add(c.d))
			check(t, c.name, c.d, st, at, start, c.w)
		}
		// Every recipient on MCabinet: the notification is Read, and so
		// is the recipient; one without messages is still Delivered.
		n.mcabinet = n.messages
		st, at := cab.status(n, start.Add(ReadAfter))
		check(t, "MCabinet recipient of a read notification", ReadAfter, st, at, start, want{Read, ReadAfter})
		st, at = (&recipient{}).status(n, start.Add(ReadAfter))
		check(t, "recipient without messages of a read notification", ReadAfter, st, at, start, want{Delivered, DeliveredAfter})
	})

	t.Run("failed recipient", func(t *testing.T) {
		n, _, _ := newNotif()
		failed := &recipient{value: "3333333333333", typ: "IDNP", failed: true}
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{SendingAfter - ns, want{Resolving, ResolvingAfter}},
			{SendingAfter, want{Failed, SendingAfter}},
			{ReadAfter, want{Failed, SendingAfter}},
		} {
			st, at := failed.status(n, start.Add(c.d))
			check(t, "failed recipient", c.d, st, at, start, c.w)
		}
		// Cancelled before sending: the recipient follows the cancellation.
		n.cancelled = start.Add(SendingAfter - ns)
		for _, c := range []struct {
			d time.Duration
			w want
		}{
			{SendingAfter, want{Cancelling, SendingAfter - ns}},
			{ReadAfter, want{Cancelled, SendingAfter - ns + CancelTakes}},
		} {
			st, at := failed.status(n, start.Add(c.d))
			check(t, "failed recipient of a cancelled notification", c.d, st, at, start, c.w)
		}
		// No messages at all: the notification failed, so did the recipient.
		empty := &notification{created: start}
		st, at := (&recipient{}).status(empty, start.Add(SentAfter))
		check(t, "recipient of a failed notification", SentAfter, st, at, start, want{Failed, SendingAfter})
	})

	t.Run("message", func(t *testing.T) {
		n, cab, mail := newNotif()
		for _, c := range []struct {
			m    *message
			name string
			d    time.Duration
			w    want
		}{
			{mail.messages[0], "email", SentAfter - ns, want{Pending, 0}},
			{mail.messages[0], "email", SentAfter, want{Sent, SentAfter}},
			{mail.messages[0], "email", DeliveredAfter - ns, want{Sent, SentAfter}},
			{mail.messages[0], "email", DeliveredAfter, want{Delivered, DeliveredAfter}},
			{mail.messages[0], "email", ReadAfter, want{Delivered, DeliveredAfter}},
			{cab.messages[0], "MCabinet", ReadAfter - ns, want{Delivered, DeliveredAfter}},
			{cab.messages[0], "MCabinet", ReadAfter, want{Read, ReadAfter}},
		} {
			st, at := c.m.status(start.Add(c.d))
			check(t, c.name+" message", c.d, st, at, start, c.w)
		}
		_ = n
	})
}
