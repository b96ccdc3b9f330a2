package monnet

import (
	"encoding/json"
	wire "herald/specs/wire/monnet"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Only a 2xx acknowledges a notification: a 3xx is neither followed nor
// taken for a delivery, so the attempt is retried on the backoff.
func TestOnly2xxAcknowledges(t *testing.T) {
	for _, c := range []struct {
		status    int
		location  string
		delivered bool
	}{
		{200, "", true},
		{204, "", true},
		{299, "", true},
		{300, "", false},
		{302, "/elsewhere", false},
		{308, "/elsewhere", false},
		{399, "", false},
		{400, "", false},
	} {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			var elsewhere atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					elsewhere.Add(1)
					w.WriteHeader(http.StatusOK)
					return
				}
				if c.location != "" {
					w.Header().Set("Location", c.location)
				}
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			n, s := newTestNotifier(t, []time.Duration{0, time.Minute})
			n.SetReceiver("22", srv.URL+"/hook")
			id, err := n.Notify(t0(), "22", "5", "ORD-5", testBody())
			if err != nil {
				t.Fatal(err)
			}
			s.runUntil(t0())
			d, _ := n.Delivery(id)
			if len(d.Attempts) != 1 || d.Attempts[0].Status != c.status || elsewhere.Load() != 0 {
				t.Fatalf("attempts %+v, %d requests to the redirect; want one attempt answered %d, not followed", d.Attempts, elsewhere.Load(), c.status)
			}
			want, next := wire.StatePending, t0().Add(time.Minute)
			if c.delivered {
				want, next = wire.StateDelivered, time.Time{}
			}
			if d.State != want || !d.Next.Equal(next) {
				t.Fatalf("after a %d: state %s, next %v; want %s, next %v", c.status, d.State, d.Next, want, next)
			}
		})
	}
}

// The notification's accountNumber is the account the payout was sent to:
// destination.bankAccount.accountNumber, or else the clabe, cci or cbu that
// the country's rules accepted in its place (the vendor's MXN example has
// an 18-digit CLABE there); with none of them (an ARG alias) it is left out.
func TestNotificationAccountNumber(t *testing.T) {
	for _, c := range []struct {
		country, currency, account, want string
	}{
		{"PER", "PEN", `"accountNumber":"00012345678"`, "00012345678"},
		{"PER", "PEN", `"cci":"00212345678901234567"`, "00212345678901234567"},
		{"PER", "PEN", `"accountNumber":"00012345678","cci":"00212345678901234567"`, "00012345678"},
		{"MEX", "MXN", `"clabe":"002123451234534510"`, "002123451234534510"},
		{"MEX", "MXN", `"clabe":"002123451234534510","accountNumber":"777"`, "777"},
		{"ARG", "ARS", `"cbu":"0110599520000001234567"`, "0110599520000001234567"},
		{"ARG", "ARS", `"alias":"ana.pagos"`, ""},
	} {
		t.Run(c.country+" "+c.account, func(t *testing.T) {
			h := newHarness(t)
			rcv := newReceiver(t, 200)
			h.sim.Notifier().SetReceiver("22", rcv.srv.URL)
			body := `{"country":"` + c.country + `","amount":2500,"currency":"` + c.currency + `","orderId":"ACC-1",` +
				`"beneficiary":{"name":"Ana","lastName":"Núñez","email":"ana@example.com","document":{"type":1,"number":"12345678"}},` +
				`"destination":{"bankAccount":{"bankCode":"002","accountType":"1",` + c.account + `}}}`
			if status, v := h.do("POST", "/api/v1/22/payouts", []byte(body), nil); status != 201 {
				t.Fatalf("create: %d %v", status, v)
			}
			h.sched.runUntil(t0().Add(time.Hour))
			got := rcv.requests()
			if len(got) != 1 {
				t.Fatalf("%d notifications, want 1", len(got))
			}
			var n struct{ Payout map[string]any }
			if err := json.Unmarshal(got[0].body, &n); err != nil {
				t.Fatal(err)
			}
			account, has := n.Payout["accountNumber"]
			if c.want == "" && has || c.want != "" && account != c.want {
				t.Errorf("accountNumber %v (present %v), want %q: %s", account, has, c.want, got[0].body)
			}
			if n.Payout["amount"] != "2500" || n.Payout["bankCode"] != "002" || n.Payout["country"] != c.country {
				t.Errorf("payout %v, want amount \"2500\", bankCode 002, country %s", n.Payout, c.country)
			}
			if err := h.sim.CheckNotification(got[0].body); err != nil {
				t.Errorf("the notification violates the spec: %v", err)
			}
		})
	}
}

// A retry schedule needs one attempt at least, none negative, and in order;
// two attempts at the same delay are in order.
func TestCheckBackoff(t *testing.T) {
	for _, ok := range [][]time.Duration{{0}, {0, 0}, {0, 10 * time.Second, 10 * time.Second, time.Minute}} {
		if err := CheckBackoff(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, c := range []struct {
		b    []time.Duration
		want string
	}{
		{nil, "at least one attempt"},
		{[]time.Duration{-time.Second}, "backoff -1s is negative"},
		{[]time.Duration{0, 10 * time.Second, 5 * time.Second}, "backoff 5s comes before 10s"},
	} {
		if err := CheckBackoff(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.b, err, c.want)
		}
	}
}

// Deliveries and Pending list oldest first by number, ntf-2 before ntf-10.
func TestDeliveriesInNumberOrder(t *testing.T) {
	n, _ := newTestNotifier(t, []time.Duration{0})
	var want []string
	for i := 1; i <= 11; i++ {
		id, err := n.Notify(t0(), "22", strconv.Itoa(i), "ORD", testBody())
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	for name, list := range map[string][]Delivery{"Deliveries": n.Deliveries(), "Pending": n.Pending()} {
		var got []string
		for _, d := range list {
			got = append(got, d.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}
