package specs

import "testing"

func TestEveryDocumentLoads(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no embedded documents")
	}
	for _, name := range names {
		if _, err := Load(name); err != nil {
			t.Errorf("%v", err)
		}
	}
}
