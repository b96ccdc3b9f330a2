package steps

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cucumber/godog"
)

// registerControl binds the steps that use Herald's control API; scenarios
// that use them carry the @simulator tag.
func (w *world) registerControl(sc *godog.ScenarioContext) {
	sc.Step(`^I read its verification code from the simulator$`, w.readCode)
	sc.Step(`^the simulator clock moves forward by "([^"]*)"$`, w.advanceClock)
	sc.Step(`^the simulator fails the next "([^"]*)" call with status (\d+)$`, w.injectFault)
}

func (w *world) readCode() error {
	b, err := w.control(http.MethodGet, "mopay/verification-codes/"+url.PathEscape(w.email), nil)
	if err != nil {
		return err
	}
	var c struct{ Code string }
	if err := json.Unmarshal(b, &c); err != nil || c.Code == "" {
		return fmt.Errorf("the control API gave no code: %s", b)
	}
	w.code = c.Code
	return nil
}

func (w *world) advanceClock(by string) error {
	if _, err := w.control(http.MethodPost, "clock/advance", map[string]string{"by": by}); err != nil {
		return err
	}
	w.clockChanged = true
	return w.syncClock()
}

func (w *world) injectFault(operationID string, status int) error {
	w.faulted = true
	_, err := w.control(http.MethodPost, "faults", map[string]any{
		"system": "mopay", "operationId": strings.TrimSpace(operationID), "status": status, "count": 1})
	return err
}
