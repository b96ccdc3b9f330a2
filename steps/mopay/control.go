package mopay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// readCode reads the verification code Mopay would have mailed, through
// its control route; scenarios that use it carry the @simulator tag.
func (w *world) readCode() error {
	b, err := w.sc.Control(http.MethodGet, System+"/verification-codes/"+url.PathEscape(w.email), nil)
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
