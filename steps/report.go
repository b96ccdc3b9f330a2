package steps

import "regexp"

var secretValue = regexp.MustCompile(`("(?i:secret|password|pswd|apikey|api_key|token)"\s*:\s*)"[^"]*"`)

// Clip shortens an answer for a report, with secrets redacted: reports end
// up in CI logs, JUnit and Cucumber files.
func Clip(b []byte) string {
	s := secretValue.ReplaceAllString(string(b), `$1"<redacted>"`)
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
