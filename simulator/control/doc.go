// Package control serves Herald's control API under /_herald/: reset,
// clock, verification codes and fault injection, validated against
// specs/control.yaml by the same engine as the simulated systems.
package control
