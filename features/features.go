package features

import (
	"embed"
	"io/fs"
)

//go:embed mopay/*.feature
var files embed.FS

// FS holds the features, under mopay/.
func FS() fs.FS { return files }
