package mnotify

import "slices"

// Certificate roles: whose client certificate a request is made with.
// fixtures/mnotify/certs holds one certificate per role, under its name.
const (
	RoleSenderA      = "sender-a"     // registered in MPass
	RoleSenderB      = "sender-b"     // registered, another sender
	RoleUnregistered = "unregistered" // valid, issued by the trusted CA, not in MPass
	RoleExpired      = "expired"      // registered, past its validity
	RoleRevoked      = "revoked"      // registered, registration revoked
	RoleForeign      = "foreign"      // issued by another CA
	// RoleNone presents no client certificate.
	RoleNone = "none"
)

// CertRoles returns the roles that present a certificate.
func CertRoles() []string {
	return []string{RoleSenderA, RoleSenderB, RoleUnregistered, RoleExpired, RoleRevoked, RoleForeign}
}

// KnownRole reports whether role is one of CertRoles.
func KnownRole(role string) bool { return slices.Contains(CertRoles(), role) }
