package specs

import (
	"testing"
)

// MNotify's mutual TLS, described in x-herald-mutual-tls because OpenAPI
// 3.0.3 cannot declare it, is a security scheme of every operation for
// coverage; a document without the extension gains no such scheme.
func TestCoverageCountsMutualTLSAsAScheme(t *testing.T) {
	doc, err := Load(Mnotify)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker("mnotify", doc)
	none := c.Coverage("mnotify", nil)
	if none.Schemes.Total != 1 || none.Schemes.Covered != 0 || len(none.Schemes.Missing) != 1 || none.Schemes.Missing[0] != MutualTLS {
		t.Fatalf("MNotify with nothing seen: security schemes %s, missing %v; want 0/1, missing [%s]", none.Schemes, none.Schemes.Missing, MutualTLS)
	}
	id := c.OperationIDs()[0]
	seen := c.Coverage("mnotify", []Exercised{{OperationID: id, Status: 401}})
	if seen.Schemes.Covered != 1 || len(seen.Schemes.Missing) != 0 {
		t.Fatalf("MNotify after an answer of %s: security schemes %s; want 1/1", id, seen.Schemes)
	}

	mopay, err := Load(Mopay)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range NewChecker("mopay", mopay).Coverage("mopay", nil).Schemes.Missing {
		if name == MutualTLS {
			t.Fatal("Mopay, which has no x-herald-mutual-tls, counts mutual TLS")
		}
	}
}
