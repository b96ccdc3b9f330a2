// Package schedule runs work at simulated times: a job scheduled for a time
// on the simulator clock runs when that clock reaches it, whether the clock
// follows real time or is frozen and moved through the control API.
package schedule
