// Package lint holds repository-wide checks run as tests: the import
// layering of DESIGN.md (layering_test.go, with the README diagram), and
// comments that cite only documents in the repository (citations_test.go).
// It has no code of its own.
package lint
