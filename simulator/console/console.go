package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// Path is where the console is served, on the main listener.
const Path = "/_herald/ui/"

//go:embed static
var static embed.FS

// Policy is the Content-Security-Policy every console answer carries: the
// pages' own scripts and styles only, no inline code, no frames, requests
// to this origin only.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the console's files under Path. It needs no token: the
// files hold no data, and the pages send the token with every API request.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil { // the embed names the folder: it is always there
		panic(err)
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", Policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "the console's files are read with GET", http.StatusMethodNotAllowed)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, Path)
		if !ok {
			http.Redirect(w, r, Path, http.StatusMovedPermanently)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rest
		r2.URL.RawPath = ""
		files.ServeHTTP(w, r2)
	})
}
