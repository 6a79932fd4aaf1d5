package readme

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// SkipMarker starts the comment line that marks the next block as
// illustrative only: "<!-- readme-test: skip REASON -->".
const SkipMarker = "<!-- readme-test: skip"

// Block is one fenced "sh" block of a markdown document.
type Block struct {
	// Line is the 1-based line of the block's first command (after the fence).
	Line int
	// Text is the block's content, without the fences.
	Text string
	// Skip is set when the block follows a SkipMarker line; Reason is the
	// marker's text.
	Skip   bool
	Reason string
}

// Blocks returns the "sh" blocks of a markdown document, in order. An
// unterminated fence, or a skip marker without a reason or not followed by
// an "sh" block, is an error: a marker that marks nothing is a mistake.
func Blocks(md []byte) ([]Block, error) {
	var (
		out        []Block
		inFence    bool
		fence      string // the opening fence's backticks
		isSh       bool
		cur        Block
		body       strings.Builder
		pendingWhy string
		pendingAt  int
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if inFence {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`") == "" {
				inFence = false
				if isSh {
					cur.Text = body.String()
					out = append(out, cur)
				}
				continue
			}
			if isSh {
				body.WriteString(line)
				body.WriteByte('\n')
			}
			continue
		}
		if strings.HasPrefix(trimmed, SkipMarker) {
			why := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trimmed, SkipMarker), "-->"))
			if why == "" || !strings.HasSuffix(trimmed, "-->") {
				return nil, fmt.Errorf("line %d: want %q REASON -->, with the reason the block is not run", n, SkipMarker)
			}
			pendingWhy, pendingAt = why, n
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			ticks := trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			info := strings.Fields(strings.TrimPrefix(trimmed, ticks))
			inFence, fence = true, ticks
			isSh = len(info) > 0 && info[0] == "sh"
			if pendingWhy != "" && !isSh {
				return nil, fmt.Errorf("line %d: the skip marker is followed by a block that is not \"sh\"", pendingAt)
			}
			cur = Block{Line: n + 1, Skip: pendingWhy != "", Reason: pendingWhy}
			body.Reset()
			pendingWhy = ""
			continue
		}
		if pendingWhy != "" && trimmed != "" {
			return nil, fmt.Errorf("line %d: the skip marker must be followed by an \"sh\" block", pendingAt)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if inFence {
		return nil, fmt.Errorf("line %d: unterminated %s fence", cur.Line-1, fence)
	}
	if pendingWhy != "" {
		return nil, fmt.Errorf("line %d: the skip marker is followed by no block", pendingAt)
	}
	return out, nil
}
