package mnotify

import (
	"net/http"
	"testing"
)

// TestCanonRewrite pins how a request's path and query names are
// respelled as the spec spells them, and what is left as it came.
func TestCanonRewrite(t *testing.T) {
	sim, _ := newSim(t)
	c := sim.canon
	for _, tc := range []struct {
		in, path, rawPath, query string
	}{
		{"/api/notification", "/api/Notification", "", ""},
		{"/API/NOTIFICATION/", "/api/Notification", "", ""},
		{"/", "/", "", ""},
		{"/api/Notification", "/api/Notification", "", ""},
		{"/api/Notification/", "/api/Notification", "", ""}, // a trailing slash is dropped
		{"/api/unknown", "/api/unknown", "", ""},
		{"/api/notification/AbC", "/api/Notification/AbC", "", ""},
		{"/api/notification/recipient/123", "/api/Notification/Recipient/123", "", ""},
		{"/api/template/x/CHECK", "/api/Template/x/check", "", ""},
		{"/api/contact/x%2Fy/exists", "/api/Contact/x/y/exists", "/api/Contact/x%2Fy/exists", ""},
		{"/api/notification?page=1&itemsperpage=2&other=x&orderfield", "/api/Notification", "", "Page=1&ItemsPerPage=2&other=x&OrderField"},
		{"/api/Notification?Page=1&%50age=2&%zz=3&searchby=a%20b", "/api/Notification", "", "Page=1&Page=2&%zz=3&SearchBy=a%20b"},
		{"/api/Notification?Page=1&other=2", "/api/Notification", "", "Page=1&other=2"},
		{"/api/Notification?", "/api/Notification", "", ""},
	} {
		r, err := http.NewRequest("GET", "https://localhost"+tc.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.rewrite(r); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if r.URL.Path != tc.path || r.URL.RawPath != tc.rawPath || r.URL.RawQuery != tc.query {
			t.Errorf("%s: path %q raw %q query %q, want %q %q %q", tc.in, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, tc.path, tc.rawPath, tc.query)
		}
	}
}
