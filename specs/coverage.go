package specs

import (
	"sort"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// Coverage is what exchanges exercised of a spec: operations, documented
// response statuses (per operation) and security schemes.
type Coverage struct {
	System     string `json:"system"`
	Operations Tally  `json:"operations"`
	Responses  Tally  `json:"responses"`
	Schemes    Tally  `json:"securitySchemes"`
}

// Tally counts covered items among all, and names the missing ones.
type Tally struct {
	Covered int      `json:"covered"`
	Total   int      `json:"total"`
	Missing []string `json:"missing"`
}

// Percent is the covered share of every operation, response and scheme.
func (c Coverage) Percent() float64 {
	total := c.Operations.Total + c.Responses.Total + c.Schemes.Total
	if total == 0 {
		return 100
	}
	return 100 * float64(c.Operations.Covered+c.Responses.Covered+c.Schemes.Covered) / float64(total)
}

// Exercised is one answer seen: an operation and its status.
type Exercised struct {
	OperationID string
	Status      int
}

// Coverage compares what was exercised with what the spec documents.
func (c *Checker) Coverage(system string, seen []Exercised) Coverage {
	seenOp, seenResp, seenScheme := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range seen {
		route := c.Route(e.OperationID)
		if route == nil || e.Status == 0 {
			continue
		}
		seenOp[e.OperationID] = true
		seenResp[e.OperationID+" "+strconv.Itoa(e.Status)] = true
		for _, name := range c.schemesOf(route) {
			seenScheme[name] = true
		}
	}
	cov := Coverage{System: system, Operations: Tally{Missing: []string{}}, Responses: Tally{Missing: []string{}}, Schemes: Tally{Missing: []string{}}}
	schemes := map[string]bool{}
	for _, id := range c.OperationIDs() {
		route := c.Route(id)
		cov.Operations.count(seenOp[id], id)
		var statuses []string
		for status := range route.Operation.Responses.Map() {
			if _, err := strconv.Atoi(status); err == nil {
				statuses = append(statuses, status)
			}
		}
		sort.Strings(statuses)
		for _, status := range statuses {
			cov.Responses.count(seenResp[id+" "+status], id+" "+status)
		}
		for _, name := range c.schemesOf(route) {
			schemes[name] = true
		}
	}
	names := make([]string, 0, len(schemes))
	for name := range schemes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cov.Schemes.count(seenScheme[name], name)
	}
	return cov
}

func (t *Tally) count(covered bool, name string) {
	t.Total++
	if covered {
		t.Covered++
	} else {
		t.Missing = append(t.Missing, name)
	}
}

func (t Tally) String() string { return strconv.Itoa(t.Covered) + "/" + strconv.Itoa(t.Total) }

// MutualTLS is the name coverage gives the scheme a document describes in
// its info extension x-herald-mutual-tls (OpenAPI 3.0.3 has no mutualTLS
// security scheme): every operation asks for it.
const MutualTLS = "mutualTLS"

// schemesOf names the security schemes of route's operation: its declared
// ones, and mutual TLS when the document requires it.
func (c *Checker) schemesOf(route *routers.Route) []string {
	names := schemesOf(route.Operation.Security, route.Spec.Security)
	if c.mutualTLS {
		names = append(names, MutualTLS)
	}
	return names
}

// requiresMutualTLS reads the info extension x-herald-mutual-tls: {required: true}.
func requiresMutualTLS(doc *openapi3.T) bool {
	if doc.Info == nil {
		return false
	}
	ext, _ := doc.Info.Extensions["x-herald-mutual-tls"].(map[string]any)
	required, _ := ext["required"].(bool)
	return required
}

// schemesOf names the security schemes an operation asks for: its own
// requirements, else the document's.
func schemesOf(op *openapi3.SecurityRequirements, doc openapi3.SecurityRequirements) []string {
	reqs := doc
	if op != nil {
		reqs = *op
	}
	set := map[string]bool{}
	for _, req := range reqs {
		for name := range req {
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
