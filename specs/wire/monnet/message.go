package monnet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// Message is a notification as it goes on the wire: the merchant it is
// for, the raw body, and the verification header (absent when OmitHeader).
type Message struct {
	MerchantID   string
	Body         []byte
	Verification string
	OmitHeader   bool
}

// Header returns the request headers of the message.
func (m Message) Header() http.Header {
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if !m.OmitHeader {
		h[HeaderVerification] = []string{m.Verification} // the vendor's lower-case name
	}
	return h
}

// Post sends a notification as Monnet does (POST, JSON, the verification
// header) and returns the receiver's status. It reads the answer's body to
// its end, and ignores it; a body that fails to arrive whole (cut short, or
// not done when ctx ends) is an error, returned with the status: the
// receiver never finished acknowledging.
func Post(ctx context.Context, client *http.Client, url string, m Message) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Body))
	if err != nil {
		return 0, fmt.Errorf("bad receiver URL: %w", err)
	}
	req.Header = m.Header()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}
