package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"herald/simulator/heraldtest"
	"herald/simulator/proxy"
	wire "herald/specs/wire/mopay"
)

// BenchmarkThroughProxy is a signed notice page (15 notices) through the
// proxy in front of a Herald, beside the Herald reached directly, over
// loopback with kept-alive connections: the proxy's cost per request.
func BenchmarkThroughProxy(b *testing.B) {
	h := heraldtest.New(b, heraldtest.WithSetting("mopay.rate-limit", "0"))
	base, _ := front(b, false, map[string]proxy.Upstream{"mopay": {BaseURL: h.URLs["mopay"]}})
	resp, err := http.Post(h.URLs["mopay"]+"user_profile_login", "application/json",
		strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"bench","devn":"bench"}`))
	if err != nil {
		b.Fatal(err)
	}
	var env struct {
		DATA struct{ PbcKey, Secret string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	ts := fmt.Sprint(time.Now().Unix())
	hd := http.Header{}
	hd.Set(wire.HeaderKey, env.DATA.PbcKey)
	hd.Set(wire.HeaderTimestamp, ts)
	hd.Set(wire.HeaderSignature, wire.Signature(env.DATA.Secret, ts))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for name, url := range map[string]string{"direct": h.URLs["mopay"] + "user_notice_fetch", "proxy": base + "/mopay/user_notice_fetch"} {
		b.Run(name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header = hd.Clone()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
