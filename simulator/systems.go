package simulator

import (
	"herald/simulator/mnotify"
	"herald/simulator/monnet"
	"herald/simulator/mopay"
	"herald/simulator/system"
)

// Registered lists the simulated systems, in the order they are reset and
// listed. Adding a system is one line here.
func Registered() []system.Definition {
	return []system.Definition{
		mopay.Definition(),
		mnotify.Definition(),
		monnet.Definition(),
	}
}
