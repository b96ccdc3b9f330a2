// Package journal is the wire contract of Herald's journal routes
// (specs/control.yaml: JournalCriteria, JournalEntry, JournalPage and the
// count's answer) and a client of them that Go tests assert with: "a
// request matching X was received N times", failing with the closest
// exchanges and why each missed. The simulator's journal counts with the
// same Match; heraldtest and heraldcontainer hand out the same Client, so
// that neither side owns the criteria and heraldcontainer needs none of the
// simulator's code.
package journal
