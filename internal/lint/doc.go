// Package lint holds repository-wide checks run as tests, such as the
// import layering of DESIGN.md. It has no code of its own.
package lint
