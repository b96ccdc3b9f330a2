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
// header) and returns the receiver's status; it reads at most 64 KiB of the
// answer, which is otherwise ignored.
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
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
