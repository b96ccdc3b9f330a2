package journal

import (
	"net/http"
	"net/url"
	"sort"
	"time"
)

// HAR is a HAR 1.2 document (http://www.softwareishard.com/blog/har-12-spec/).
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is a HAR document's log.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Entries []HAREntry `json:"entries"`
}

// HARCreator names the tool that wrote the document.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HAREntry is one exchange; Herald's verdicts ride in the custom member
// _herald, which HAR allows.
type HAREntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	Herald          HARHerald   `json:"_herald"`
}

// HARRequest is an entry's request.
type HARRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []HARPair    `json:"cookies"`
	Headers     []HARPair    `json:"headers"`
	QueryString []HARPair    `json:"queryString"`
	PostData    *HARPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

// HARResponse is an entry's answer.
type HARResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []HARPair  `json:"cookies"`
	Headers     []HARPair  `json:"headers"`
	Content     HARContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
}

// HARPair is a header, cookie or query parameter.
type HARPair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARPostData is a request body.
type HARPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

// HARContent is an answer's body.
type HARContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Comment  string `json:"comment,omitempty"`
}

// HARTimings are an entry's timings, in milliseconds: Herald measures only
// the time it took to answer.
type HARTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// HARHerald is what Herald adds to an entry.
type HARHerald struct {
	ID          int64      `json:"id"`
	World       string     `json:"world"`
	System      string     `json:"system"`
	Operation   string     `json:"operation,omitempty"`
	SimTime     time.Time  `json:"simTime"`
	Verdict     Verdict    `json:"verdict"`
	Refusal     *Refusal   `json:"refusal,omitempty"`
	Violations  []Rule     `json:"violations,omitempty"`
	Auth        AuthResult `json:"auth"`
	ClosestMiss *Miss      `json:"closestMiss,omitempty"`
}

// ToHAR writes entries (oldest first) as a HAR document.
func ToHAR(entries []*Entry, version string) HAR {
	h := HAR{Log: HARLog{Version: "1.2", Creator: HARCreator{Name: "herald", Version: version}, Entries: make([]HAREntry, 0, len(entries))}}
	for _, e := range entries {
		u := e.origin + e.Request.Path
		if e.Request.Query != "" {
			u += "?" + e.Request.Query
		}
		req := HARRequest{Method: e.Request.Method, URL: u, HTTPVersion: "HTTP/1.1", Cookies: []HARPair{},
			Headers: pairs(e.Request.Headers), QueryString: queryPairs(e.Request.Query), HeadersSize: -1, BodySize: e.Request.BodyBytes}
		if e.Request.BodyBytes > 0 {
			req.PostData = &HARPostData{MimeType: e.Request.Headers.Get("Content-Type"), Text: e.Request.Body}
		}
		resp := HARResponse{Status: e.Response.Status, StatusText: http.StatusText(e.Response.Status), HTTPVersion: "HTTP/1.1",
			Cookies: []HARPair{}, Headers: pairs(e.Response.Headers), HeadersSize: -1, BodySize: e.Response.BodyBytes,
			Content: HARContent{Size: e.Response.BodyBytes, MimeType: e.Response.Headers.Get("Content-Type"), Text: e.Response.Body}}
		if e.Response.BodyTruncated {
			resp.Content.Comment = "clipped to the journal's --journal-body-bytes"
		}
		h.Log.Entries = append(h.Log.Entries, HAREntry{
			StartedDateTime: e.Time.Format(time.RFC3339Nano), Time: e.DurationMs, Request: req, Response: resp,
			Timings: HARTimings{Wait: e.DurationMs},
			Herald: HARHerald{ID: e.ID, World: e.World, System: e.System, Operation: e.Operation, SimTime: e.SimTime, Verdict: e.Verdict,
				Refusal: e.Refusal, Violations: e.Violations, Auth: e.Auth, ClosestMiss: e.ClosestMiss},
		})
	}
	return h
}

func pairs(h http.Header) []HARPair { return sortedPairs(h) }

func queryPairs(raw string) []HARPair {
	q, _ := url.ParseQuery(raw)
	return sortedPairs(q)
}

// sortedPairs lists a header's or a query's values, by name.
func sortedPairs(m map[string][]string) []HARPair {
	out := []HARPair{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range m[k] {
			out = append(out, HARPair{Name: k, Value: v})
		}
	}
	return out
}
