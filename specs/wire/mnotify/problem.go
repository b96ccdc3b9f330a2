package mnotify

// ProblemContentType is the media type of a refusal's body.
const ProblemContentType = "application/problem+json"

// Problem is the body of every refusal of Herald's MNotify: RFC 9457
// ProblemDetails as ASP.NET writes it (Herald design; the vendor publishes
// no error shape). Errors, on a 400, names every field at fault in the
// vendor's JSON path spelling (Recipients[0].Value).
type Problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	Detail  string              `json:"detail"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors,omitempty"`
}
