package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

func init() {
	register("completion", "print a shell completion script: bash, zsh or fish", runCompletion)
}

// completeCommand is the hidden command the completion scripts call:
// 'fluvio __complete WORD... CURRENT' prints the candidates for CURRENT,
// one per line.
const completeCommand = "__complete"

var completionScripts = map[string]string{
	"bash": `# fluvio bash completion: source <(fluvio completion bash)
_fluvio() {
    local IFS=$'\n'
    COMPREPLY=($(fluvio __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _fluvio fluvio
`,
	"zsh": `#compdef fluvio
# fluvio zsh completion: source <(fluvio completion zsh), or save it as _fluvio in your $fpath
_fluvio() {
    local -a candidates
    candidates=("${(@f)$(fluvio __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -a candidates
}
if (( $+functions[compdef] )); then
    compdef _fluvio fluvio
fi
`,
	"fish": `# fluvio fish completion: fluvio completion fish | source
function __fluvio_complete
    set -l words (commandline -opc) (commandline -ct)
    fluvio __complete $words[2..-1] 2>/dev/null
end
complete -c fluvio -f -a '(__fluvio_complete)'
`,
}

func runCompletion(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio completion bash|zsh|fish",
		Short: `Print a completion script for your shell. It completes commands, subcommands,
flags, and the names of topics (asked from the SC) and profiles.`,
		Examples: `source <(fluvio completion bash)                 # add to ~/.bashrc
			fluvio completion zsh > "${fpath[1]}/_fluvio"    # then restart zsh
			fluvio completion fish | source                  # add to ~/.config/fish/config.fish`,
	}, false)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "completion takes the shell: bash, zsh or fish")
	}
	script, ok := completionScripts[fs.Arg(0)]
	if !ok {
		return g.usageError(stderr, fmt.Sprintf("no completion for shell %q: pick bash, zsh or fish", fs.Arg(0)))
	}
	_, _ = io.WriteString(stdout, script)
	return exitOK
}

// complete prints the candidates for the last of words (possibly "") to
// stdout. It never fails: no candidates is an empty answer.
func (g *Global) complete(ctx context.Context, words []string, stdout io.Writer) int {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, before := words[len(words)-1], words[:len(words)-1]
	var cands []string
	defer func() {
		sort.Strings(cands)
		for _, c := range slices.Compact(cands) {
			if strings.HasPrefix(c, cur) {
				fmt.Fprintln(stdout, c)
			}
		}
	}()
	// Walk the command tree along the words typed so far.
	var c *command
	path := "fluvio"
	i := 0
	if len(before) > 0 {
		c = lookupTop(before[0])
		if c == nil {
			return exitOK
		}
		path += " " + c.Name
		i = 1
		for c.Run == nil && i < len(before) {
			next := c.child(before[i])
			if next == nil {
				return exitOK
			}
			c, path = next, path+" "+next.Name
			i++
		}
	}
	if c == nil {
		for _, t := range topLevel() {
			cands = append(cands, t.Name)
		}
		return exitOK
	}
	if c.Run == nil {
		for _, s := range c.Sub {
			cands = append(cands, s.Name)
		}
		return exitOK
	}
	flags := leafFlags(ctx, g, path, c)
	rest := before[i:]
	// The value of a flag that takes one?
	if n := len(rest); n > 0 && strings.HasPrefix(rest[n-1], "-") && !strings.Contains(rest[n-1], "=") {
		if f, ok := flags[rest[n-1]]; ok && f.takesValue {
			cands = g.flagValues(ctx, f.long, rest)
			return exitOK
		}
	}
	if strings.HasPrefix(cur, "-") {
		for name := range flags {
			if strings.HasPrefix(name, "--") {
				cands = append(cands, name)
			}
		}
		return exitOK
	}
	cands = g.positionals(ctx, c, path, rest)
	return exitOK
}

// flagInfo is a flag of a leaf command, as its help lists it.
type flagInfo struct {
	long       string
	takesValue bool
}

// flagLine matches a line of flagUsages: "  -O, --output FORMAT   ..."
// (a flag with a value) or "      --force   ..." (without).
var flagLine = regexp.MustCompile(`^\s+(?:-([A-Za-z]), )?--([a-z0-9-]+)( \S+)?\s{2,}`)

// leafFlags returns the flags of leaf c (by "--long" and "-s"), read from
// its --help output.
func leafFlags(ctx context.Context, g *Global, path string, c *command) map[string]flagInfo {
	var out bytes.Buffer
	h := *g
	h.path = path
	c.Run(ctx, &h, []string{"--help"}, &out, io.Discard)
	flags := map[string]flagInfo{}
	inFlags := false
	for _, line := range strings.Split(out.String(), "\n") {
		if line == "Flags:" {
			inFlags = true
			continue
		}
		if !inFlags {
			continue
		}
		m := flagLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := flagInfo{long: m[2], takesValue: m[3] != ""}
		flags["--"+m[2]] = f
		if m[1] != "" {
			flags["-"+m[1]] = f
		}
	}
	return flags
}

// flagValues are the candidates for the value of flag --long.
func (g *Global) flagValues(ctx context.Context, long string, typed []string) []string {
	switch long {
	case "output":
		return []string{"table", "yaml", "json"}
	case "profile":
		return g.profileNames()
	case "topic":
		return g.topicNames(ctx, typed)
	case "acks":
		return []string{"all", "leader", "none"}
	case "sync":
		return []string{"always", "interval", "never"}
	}
	return nil
}

// positionals are the candidates for a positional argument of leaf c.
func (g *Global) positionals(ctx context.Context, c *command, path string, typed []string) []string {
	switch path {
	case "fluvio topic describe", "fluvio topic delete", "fluvio produce", "fluvio consume":
		return g.topicNames(ctx, typed)
	case "fluvio profile switch", "fluvio profile delete", "fluvio profile rename":
		return g.profileNames()
	case "fluvio completion":
		return []string{"bash", "fish", "zsh"}
	}
	return nil
}

func (g *Global) profileNames() []string {
	cfg, _, err := g.loadProfiles()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(cfg.Profiles))
	for n := range cfg.Profiles {
		names = append(names, n)
	}
	return names
}

// topicNames asks the SC the typed words target (--sc, --profile, else
// the usual precedence) for its topics, within a second.
func (g *Global) topicNames(ctx context.Context, typed []string) []string {
	h := *g
	for i := 0; i+1 < len(typed); i++ {
		switch typed[i] {
		case "--sc", "-c":
			h.SC = typed[i+1]
		case "--profile", "-P":
			h.Profile = typed[i+1]
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	h.connectTimeout = time.Second
	a, err := h.admin(ctx)
	if err != nil {
		return nil
	}
	defer a.Close()
	topics, err := a.DescribeTopics(ctx)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(topics))
	for _, t := range topics {
		names = append(names, t.Name)
	}
	return names
}
