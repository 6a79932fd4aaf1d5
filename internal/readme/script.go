package readme

import (
	"fmt"
	"strings"
)

// Doc is one markdown document's blocks, named for messages (README.md).
type Doc struct {
	Name   string
	Blocks []Block
}

// Script is a bash script that runs the blocks of docs that are not
// skipped, in order, in one shell: a variable exported by one block is seen
// by the next, as in a newcomer's terminal. It stops at the first command
// that fails and names its document and line. Commands are traced (set -x)
// and each block is announced with its place.
func Script(docs ...Doc) string {
	var b strings.Builder
	lines := 0
	emit := func(s string) {
		b.WriteString(s)
		lines += strings.Count(s, "\n")
	}
	emit("#!/usr/bin/env bash\n")
	emit("set -Eeuo pipefail\n")
	emit("readme_doc=''; readme_base=0; readme_first=0\n")
	emit(`trap 'rc=$?; echo "readme: FAILED at $readme_doc:$((LINENO - readme_base + readme_first)) (exit $rc): $BASH_COMMAND" >&2' ERR` + "\n")
	emit("PS4='+ '\n")
	// readme_expect OUTPUT LINE...: each LINE (a "#   " line under the
	// command in the markdown) must be in OUTPUT, blanks collapsed.
	emit(`readme_expect() { local out; out=$(printf '%s\n' "$1" | tr -s ' \t' '  '); shift; local want; for want in "$@"; do want=$(printf '%s' "$want" | tr -s ' \t' '  '); if ! grep -qF -- "$want" <<<"$out"; then echo "readme: the output lacks the line shown: $want" >&2; return 1; fi; done; }` + "\n")
	for _, d := range docs {
		for _, blk := range d.Blocks {
			if blk.Skip {
				emit("set +x\n")
				emit(fmt.Sprintf("echo %s\n", shellQuote(fmt.Sprintf("== %s:%d: not run (%s)", d.Name, blk.Line, blk.Reason))))
				continue
			}
			emit("set +x\n")
			emit(fmt.Sprintf("echo %s\n", shellQuote(fmt.Sprintf("== %s:%d", d.Name, blk.Line))))
			// The block starts on the line after this one.
			emit(fmt.Sprintf("readme_doc=%s; readme_base=%d; readme_first=%d; set -x\n", shellQuote(d.Name), lines+2, blk.Line))
			emit(withExpectations(blk.Text))
		}
	}
	emit("set +x\n")
	emit("echo '== every block ran'\n")
	return b.String()
}

// expectPrefix starts a line that shows the output of the command above
// it: "#   custom-spu 'custom-spu-200' registered successfully".
const expectPrefix = "#   "

// withExpectations rewrites, line for line (so line numbers keep), each
// command followed by expectPrefix lines to capture its output, print it,
// and check that it holds each shown line. A command run in the background
// (ending in &) prints later: its lines are not checked.
func withExpectations(text string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		var want []string
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], expectPrefix); j++ {
			want = append(want, strings.TrimSpace(strings.TrimPrefix(lines[j], expectPrefix)))
		}
		cmd := strings.TrimSpace(stripComment(lines[i]))
		if len(want) == 0 || cmd == "" || strings.HasPrefix(cmd, "#") || strings.HasSuffix(cmd, "&") {
			continue
		}
		quoted := make([]string, len(want))
		for k, w := range want {
			quoted[k] = shellQuote(w)
		}
		lines[i] = fmt.Sprintf(`readme_out=$(%s 2>&1); printf '%%s\n' "$readme_out"; readme_expect "$readme_out" %s`, cmd, strings.Join(quoted, " "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// stripComment drops a trailing "  # comment" (two blanks before '#', as
// the README writes them) outside quotes.
func stripComment(line string) string {
	inSingle, inDouble := false, false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '#' && !inSingle && !inDouble && i >= 2 && line[i-1] == ' ' && line[i-2] == ' ':
			return line[:i]
		}
	}
	return line
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
