package suite

import (
	"herald/steps"
	"herald/steps/mnotify"
	"herald/steps/monnet"
	"herald/steps/mopay"
)

// Modules returns the module of every system, in a stable order.
func Modules() ([]steps.Module, error) {
	var out []steps.Module
	for _, build := range []func() (steps.Module, error){
		mopay.Module,
		mnotify.Module,
		monnet.Module,
	} {
		m, err := build()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
