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
			text := blk.Text
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			emit(text)
		}
	}
	emit("set +x\n")
	emit("echo '== every block ran'\n")
	return b.String()
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
