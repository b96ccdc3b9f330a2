package engine

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"herald/specs"
)

// missSpec has the paths the closest-miss cases are about.
const missSpec = `
openapi: 3.0.3
info:
  title: miss
  version: "1"
paths:
  /notifications:
    get:
      operationId: listNotifications
      responses:
        "200":
          description: ok
  /api/notifications/{id}:
    get:
      operationId: getNotification
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: ok
    delete:
      operationId: deleteNotification
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "204":
          description: gone
  /api/templates:
    get:
      operationId: listTemplates
      responses:
        "200":
          description: ok
  /api/templates/{id}/check:
    post:
      operationId: checkTemplate
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: ok
`

func missShapes(t *testing.T, spec string) *shapes {
	t.Helper()
	doc, err := specs.Parse("miss", []byte(spec))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return newShapes(specs.NewChecker("miss", doc))
}

func TestClosestMiss(t *testing.T) {
	s := missShapes(t, missSpec)
	for _, c := range []struct {
		method, path string
		op           string
		want         []string
	}{
		{"POST", "/notifications", "listNotifications", []string{"method POST; the operation takes GET"}},
		{"GET", "/Notifications", "listNotifications", []string{"path case: the document spells it /notifications"}},
		{"GET", "/API/Notifications/7", "getNotification", []string{"path case: the document spells it /api/notifications/{id}"}},
		{"GET", "/api/notifications/", "getNotification", []string{"path parameter id missing"}},
		{"GET", "/api/notifications", "getNotification", []string{"path parameter id missing"}},
		{"GET", "/api/notificaton/7", "getNotification", []string{"segment 2 is `notificaton`, the document has `notifications`"}},
		{"GET", "/api/notifications/7/extra", "getNotification", []string{"segment 4 `extra` is not in the document"}},
		{"GET", "/notifications/", "listNotifications", []string{"trailing slash: the document has /notifications"}},
		{"POST", "/api/templates/7", "checkTemplate", []string{"segment 4 `check` missing"}},
		{"PUT", "/api/notifications/7", "getNotification", []string{"method PUT; the operation takes GET"}},
		{"DELETE", "/api/notificatons/7", "deleteNotification", []string{"segment 2 is `notificatons`, the document has `notifications`"}},
		// A near spelling lines up with its literal, not with a parameter.
		{"GET", "/api/template", "listTemplates", []string{"segment 2 is `template`, the document has `templates`"}},
		{"GET", "/api/Templatess", "listTemplates", []string{"segment 2 is `Templatess`, the document has `templates`"}},
		{"POST", "/api/Templates/1/chek", "checkTemplate", []string{"segment 4 is `chek`, the document has `check`", "path case: the document spells it /api/templates/{id}/check"}},
	} {
		m := s.closest(c.method, c.method, c.path, "")
		if m == nil || m.OperationID != c.op || !reflect.DeepEqual(m.Differences, c.want) {
			t.Errorf("%s %s: got %+v, want %s with %q", c.method, c.path, m, c.op, c.want)
		}
	}
}

// A system that names its operation with a query parameter (Mopay's req,
// which Rewrite moves into the path) hears of actions: the closest by edit
// distance, its case, or that none was named.
func TestClosestMissOfActions(t *testing.T) {
	s := missShapes(t, `
openapi: 3.0.3
info: {title: actions, version: "1"}
paths:
  /user_notice_fetch:
    get: {operationId: noticeFetch, responses: {"200": {description: ok}}}
  /user_notification_fetch:
    get: {operationId: notificationFetch, responses: {"200": {description: ok}}}
  /user_profile_login:
    post: {operationId: login, responses: {"200": {description: ok}}}
`)
	for _, c := range []struct {
		method, path string
		op           string
		want         []string
	}{
		{"GET", "/user_notice_fetc", "noticeFetch", []string{"action `user_notice_fetc` is not documented; the closest is `user_notice_fetch`"}},
		{"GET", "/user_notifcation_fetch", "notificationFetch", []string{"action `user_notifcation_fetch` is not documented; the closest is `user_notification_fetch`"}},
		{"GET", "/User_Notice_Fetch", "noticeFetch", []string{"action case: the document spells it user_notice_fetch"}},
		{"GET", "/user_profile_login", "login", []string{"method GET; the operation takes POST"}},
		{"POST", "/user_profile_logn", "login", []string{"action `user_profile_logn` is not documented; the closest is `user_profile_login`"}},
		{"GET", "/", "", []string{"no action named: name one with ?req=<action> or the path /<action>"}},
		{"GET", "/user_notice_fetch/x", "noticeFetch", []string{"segment 2 `x` is not in the document"}},
	} {
		m := s.closest(c.method, c.method, c.path, "req")
		if m == nil || m.OperationID != c.op || !reflect.DeepEqual(m.Differences, c.want) {
			t.Errorf("%s %s: got %+v, want %s with %q", c.method, c.path, m, c.op, c.want)
		}
	}
}

// What a miss shows of a request is clipped, printable and cut at a "?",
// and the work does not grow with the request: a path of thousands of long
// segments is clipped to the document's longest path plus two.
func TestClosestMissClipsTheRequest(t *testing.T) {
	s := missShapes(t, missSpec)
	long := "/api/" + strings.Repeat("x", 5000) + "\x01/7"
	m := s.closest("GET", "GET", long, "")
	if m == nil || m.OperationID != "getNotification" || len(m.Differences) != 1 {
		t.Fatalf("got %+v", m)
	}
	if d := m.Differences[0]; len(d) > 120 || !strings.Contains(d, "…") {
		t.Errorf("difference %q: want the segment clipped", d)
	}
	m = s.closest("GET", "GET", "/api/no`t\x01/7", "")
	if d := m.Differences[0]; !strings.Contains(d, "`no't\\x01`") {
		t.Errorf("difference %q: want the backtick and the control character escaped", d)
	}
	many := strings.Repeat("/notifications", 10000)
	m = s.closest("GET", "GET", many, "")
	if m == nil || len(m.Differences) > s.longest+2 {
		t.Errorf("got %+v: want at most %d differences", m, s.longest+2)
	}
	m = s.closest("GET", "GET", "/notifications?signature=abc", "req")
	if want := []string{"action `notifications?…` is not documented; the closest is `notifications`"}; !reflect.DeepEqual(m.Differences, want) {
		t.Errorf("got %q, want %q: a query smuggled into the path is not shown", m.Differences, want)
	}
	// HEAD is routed as GET, and named as the request named it.
	m = s.closest("GET", "HEAD", "/api/templates/7/check", "")
	if want := []string{"method HEAD; the operation takes POST"}; m.OperationID != "checkTemplate" || !reflect.DeepEqual(m.Differences, want) {
		t.Errorf("got %+v, want checkTemplate with %q", m, want)
	}
}

// The engine fills the closest miss of a request that matched no route, as
// the observer sees it, and leaves it nil for one that matched.
func TestObserverSeesTheClosestMiss(t *testing.T) {
	var seen []Observation
	h := newHarness(t, func(_ *harness, cfg *Config) {
		cfg.Observe = func(o Observation) { seen = append(seen, o) }
	})
	h.do(http.MethodGet, "/Items?limit=1", "", "")
	h.do(http.MethodDelete, "/items/1", "", "")
	h.do(http.MethodGet, "/items?limit=1", "", "")
	h.do(http.MethodHead, "/items/1/", "", "")
	if len(seen) != 4 {
		t.Fatalf("observed %d exchanges, want 4", len(seen))
	}
	if m := seen[0].Miss; m == nil || m.OperationID != "listItems" || !reflect.DeepEqual(m.Differences, []string{"path case: the document spells it /items"}) {
		t.Errorf("GET /Items: miss %+v", m)
	}
	if m := seen[1].Miss; m == nil || m.OperationID != "getItem" || m.Method != http.MethodGet || m.Path != "/items/{id}" ||
		!reflect.DeepEqual(m.Differences, []string{"method DELETE; the operation takes GET"}) {
		t.Errorf("DELETE /items/1: miss %+v", m)
	}
	if seen[2].Miss != nil {
		t.Errorf("a request that matched has a miss: %+v", seen[2].Miss)
	}
	if m := seen[3].Miss; m == nil || m.OperationID != "getItem" || !reflect.DeepEqual(m.Differences, []string{"trailing slash: the document has /items/{id}"}) {
		t.Errorf("HEAD /items/1/: miss %+v, want getItem's trailing slash (HEAD is GET)", m)
	}
}

// BenchmarkClosestMiss finds the closest operation of MNotify's document (the
// largest) to a misspelled path, and to a path of many long segments, which
// costs no more: the request is clipped to what the document can match.
// go test -run '^$' -bench ClosestMiss -benchmem ./simulator/engine/
func BenchmarkClosestMiss(b *testing.B) {
	doc, err := specs.Load(specs.Mnotify)
	if err != nil {
		b.Fatal(err)
	}
	s := newShapes(specs.NewChecker("mnotify", doc))
	for _, c := range []struct{ name, path string }{
		{"misspelled", "/api/Notificaton/Recipient/2000000000001"},
		{"long", strings.Repeat("/"+strings.Repeat("x", 1000), 30)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if s.closest(http.MethodGet, http.MethodGet, c.path, "") == nil {
					b.Fatal("no miss")
				}
			}
		})
	}
}
