package features

import (
	"embed"
	"io/fs"
)

//go:embed */*.feature
var files embed.FS

// FS holds the features, one folder per system: mopay/, …
func FS() fs.FS { return files }
