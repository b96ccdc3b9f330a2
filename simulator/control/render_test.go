package control

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"herald/simulator/engine"
	"herald/simulator/system"
)

// A system's control route answers what it does not have with
// system.NotFound, wrapped or not; the control API renders it as its 404.
func TestRenderSystemNotFound(t *testing.T) {
	for _, err := range []error{
		system.NotFound("no delivery %s", "d-7"),
		fmt.Errorf("looking up: %w", system.NotFound("no delivery %s", "d-7")),
		NotFound("no delivery %s", "d-7"),
	} {
		reply := Render(&engine.Exchange{}, err)
		var body struct{ Error errorBody }
		if jerr := json.Unmarshal(reply.Body, &body); jerr != nil {
			t.Fatal(jerr)
		}
		if reply.Status != http.StatusNotFound || body.Error.Code != "not_found" || body.Error.Message != "no delivery d-7" {
			t.Errorf("%v: rendered %d %s, want 404 not_found with the message", err, reply.Status, reply.Body)
		}
	}
}
