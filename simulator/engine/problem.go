package engine

import "fmt"

// Kind classifies a Problem.
type Kind int

// The kinds of problem the engine finds.
const (
	NotFound         Kind = iota + 1 // no operation has this path
	MethodNotAllowed                 // the path exists, not with this method
	Missing                          // a required parameter or body field is absent or empty
	Invalid                          // a parameter or body field has a bad value
	BodyInvalid                      // the body is absent when required, not JSON, or not UTF-8
	ContentType                      // the body is not in a documented media type
	BodyTooLarge                     // the body exceeds Config.MaxBodyBytes
	HeadersTooLarge                  // the headers exceed Config.MaxHeaderBytes
	Fault                            // a failure injected through the control API
	Internal                         // a simulator bug, such as an answer that violates the spec
	Ambiguous                        // a parameter or header given more than once: the request says two things
	Upstream                         // a proxy's upstream did not answer (Problem.Status says 502 or 504)
	Credentials                      // a proxy refuses the caller's credentials (Problem.Status says 401 or 403)
)

var kindNames = map[Kind]string{
	NotFound: "not found", MethodNotAllowed: "method not allowed", Missing: "missing",
	Invalid: "invalid", BodyInvalid: "body invalid", ContentType: "content type",
	BodyTooLarge: "body too large", HeadersTooLarge: "headers too large",
	Fault: "injected fault", Internal: "internal error", Ambiguous: "ambiguous", Upstream: "upstream",
	Credentials: "credentials",
}

func (k Kind) String() string { return kindNames[k] }

// Problem is a request the engine refuses, or a failure of its own.
type Problem struct {
	Kind Kind
	// In is where the field at fault is: "query", "header", "path", "body".
	In string
	// Field is the parameter name, or the top-level property of the body.
	Field string
	// Pointer is the JSON pointer of the value at fault in the body.
	Pointer string
	// Reason says what is wrong, without echoing the value.
	Reason string
	// Status is the status an injected fault asks for.
	Status int
}

func (p *Problem) Error() string {
	where := p.In
	if p.Field != "" {
		where = fmt.Sprintf("%s %s", p.In, p.Field)
	}
	if where == "" {
		return fmt.Sprintf("%s: %s", p.Kind, p.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", p.Kind, where, p.Reason)
}

// Describe says in a few words what is wrong with the field at fault, for an
// error message: "query parameter rqtp is missing".
func (p *Problem) Describe() string {
	what := p.Field
	switch p.In {
	case "query":
		what = "query parameter " + p.Field
	case "header":
		what = "header " + p.Field
	case "path":
		what = "path parameter " + p.Field
	case "body":
		what = "body field " + p.Field
		if p.Pointer != "" && p.Pointer != "/"+p.Field {
			what = "body field " + p.Pointer
		}
	}
	switch p.Kind {
	case Missing:
		return what + " is missing"
	case Invalid, Ambiguous:
		return what + ": " + p.Reason
	default:
		return p.Reason
	}
}
