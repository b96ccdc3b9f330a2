package specs

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// noticePage is a full page of Mopay's user_notice_fetch, as the simulator
// answers it.
func noticePage() []byte {
	var b strings.Builder
	b.WriteString(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":{"result":[`)
	for i := range 15 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"marker":"ntc_%09d","userid":"usr_12345abcde","subject":"Notice number %d","message":"Your account activity: a payment of 1,000 was received \u0026 recorded.","recorded":"17000000%02d"}`, 100+i, i, i)
	}
	b.WriteString(`],"pagination":"1700000014"}}`)
	return []byte(b.String())
}

// BenchmarkResponse checks one new answer both ways, in one run:
// go test -run '^$' -bench Response -benchmem ./specs/
func BenchmarkResponse(b *testing.B) {
	doc, err := Load(Mopay)
	if err != nil {
		b.Fatal(err)
	}
	c := NewChecker(Mopay, doc)
	body := noticePage()
	h := http.Header{"Content-Type": {"application/json"}}
	route := c.routes["user_notice_fetch"]
	if err := c.Response("user_notice_fetch", 200, h, body); err != nil {
		b.Fatal(err)
	}
	b.Run("kin-openapi", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := c.reference(route, "user_notice_fetch", 200, h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compiled", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := c.Response("user_notice_fetch", 200, h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
