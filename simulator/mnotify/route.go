package mnotify

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// canon spells paths and query parameter names as the spec does, for
// ASP.NET's case-insensitive routing: /api/notification?page=1 becomes
// /api/Notification?Page=1 before the engine routes and validates it.
type canon struct {
	// paths holds the spec's path templates by number of segments; a
	// segment "" is a parameter.
	paths map[int][][]string
	// query maps a lowercase parameter name to the spec's spelling.
	query map[string]string
}

func newCanon(doc *openapi3.T) *canon {
	c := &canon{paths: map[int][][]string{}, query: map[string]string{}}
	keys := doc.Paths.InMatchingOrder()
	sort.Strings(keys)
	for _, p := range keys {
		segs := strings.Split(strings.Trim(p, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = ""
			}
		}
		c.paths[len(segs)] = append(c.paths[len(segs)], segs)
		item := doc.Paths.Value(p)
		params := append(openapi3.Parameters{}, item.Parameters...)
		for _, op := range item.Operations() {
			params = append(params, op.Parameters...)
		}
		for _, ref := range params {
			if ref.Value != nil && ref.Value.In == "query" {
				c.query[strings.ToLower(ref.Value.Name)] = ref.Value.Name
			}
		}
	}
	return c
}

// rewrite respells the request's path and query names. A path that matches
// no template case-insensitively is left as it came (and answered 404).
func (c *canon) rewrite(r *http.Request) error {
	c.rewritePath(r.URL)
	c.rewriteQuery(r.URL)
	return nil
}

func (c *canon) rewritePath(u *url.URL) {
	raw := u.EscapedPath()
	if len(raw) > 1 && strings.HasSuffix(raw, "/") { // ASP.NET ignores a trailing slash
		raw = strings.TrimSuffix(raw, "/")
	}
	segs := strings.Split(strings.TrimPrefix(raw, "/"), "/")
	best, bestLiterals := []string(nil), -1
	for _, tmpl := range c.paths[len(segs)] {
		literals, ok := 0, true
		for i, t := range tmpl {
			if t == "" {
				continue
			}
			if !strings.EqualFold(t, segs[i]) {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tmpl, literals
		}
	}
	if best == nil {
		return
	}
	for i, t := range best {
		if t != "" {
			segs[i] = t
		}
	}
	newRaw := "/" + strings.Join(segs, "/")
	if newRaw == u.EscapedPath() {
		return
	}
	if p, err := url.PathUnescape(newRaw); err == nil {
		u.Path, u.RawPath = p, newRaw
		if u.EscapedPath() == p {
			u.RawPath = ""
		}
	}
}

func (c *canon) rewriteQuery(u *url.URL) {
	if u.RawQuery == "" {
		return
	}
	pairs := strings.Split(u.RawQuery, "&")
	changed := false
	for i, pair := range pairs {
		rawKey, rest, hasValue := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			continue
		}
		name, ok := c.query[strings.ToLower(key)]
		if !ok || name == rawKey {
			continue
		}
		pairs[i] = url.QueryEscape(name)
		if hasValue {
			pairs[i] += "=" + rest
		}
		changed = true
	}
	if changed {
		u.RawQuery = strings.Join(pairs, "&")
	}
}
