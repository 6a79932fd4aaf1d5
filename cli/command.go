package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// RunFunc runs one command. args are the arguments after the command's
// path (for "fluvio topic create foo -p 2" the command "topic create" gets
// ["foo", "-p", "2"]); it parses them itself, usually with g.newFlagSet and
// g.parse. It returns the process exit code (see exitcodes in errors.go).
type RunFunc func(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int

// command is one node of the command tree: either a group with
// subcommands (topic, spu, cluster...) or a leaf with Run.
type command struct {
	// Name is the word typed on the command line ("create").
	Name string
	// Aliases are other words accepted for Name ("ls" for "list").
	Aliases []string
	// Summary is the one-line description shown in the parent's help.
	Summary string
	// Run runs a leaf command. Nil for groups.
	Run RunFunc
	// Sub are the subcommands of a group, in the order help shows them.
	Sub []*command
}

var (
	commandsMu sync.Mutex
	// commands is the top level of the command tree, keyed by name.
	// Files register their commands from init() with register.
	commands = map[string]*command{}
)

// register adds a top-level command named name. Files of this package
// call it from init(), for example cli/produce.go:
//
//	func init() { register("produce", "write records to a topic", runProduce) }
//
// Registering a name twice panics at init time (a programming error).
func register(name, summary string, run RunFunc) {
	registerCommand(&command{Name: name, Summary: summary, Run: run})
}

// registerGroup adds a top-level command group with subcommands.
func registerGroup(name, summary string, sub ...*command) *command {
	c := &command{Name: name, Summary: summary, Sub: sub}
	registerCommand(c)
	return c
}

func registerCommand(c *command) {
	commandsMu.Lock()
	defer commandsMu.Unlock()
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// leaf returns a leaf command for a group.
func leaf(name, summary string, run RunFunc, aliases ...string) *command {
	return &command{Name: name, Summary: summary, Run: run, Aliases: aliases}
}

// group returns a nested command group.
func group(name, summary string, sub ...*command) *command {
	return &command{Name: name, Summary: summary, Sub: sub}
}

// topLevel returns the registered top-level commands sorted by name.
func topLevel() []*command {
	commandsMu.Lock()
	defer commandsMu.Unlock()
	out := make([]*command, 0, len(commands))
	for _, c := range commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupTop finds a top-level command by name or alias.
func lookupTop(name string) *command {
	commandsMu.Lock()
	defer commandsMu.Unlock()
	if c, ok := commands[name]; ok {
		return c
	}
	for _, c := range commands {
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// child finds the subcommand of c named name (or aliased so).
func (c *command) child(name string) *command {
	for _, s := range c.Sub {
		if s.Name == name {
			return s
		}
		for _, a := range s.Aliases {
			if a == name {
				return s
			}
		}
	}
	return nil
}

// groupUsage is the help of a command group.
func groupUsage(path string, c *command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nUsage:\n  %s <command> [flags]\n\nCommands:\n", c.Summary, path)
	w := 0
	for _, s := range c.Sub {
		w = max(w, len(s.Name))
	}
	for _, s := range c.Sub {
		fmt.Fprintf(&b, "  %-*s  %s\n", w, s.Name, s.Summary)
	}
	if ex := groupExamples[path]; ex != "" {
		fmt.Fprintf(&b, "\nExamples:\n  %s\n", ex)
	}
	fmt.Fprintf(&b, "\nRun '%s <command> --help' for a command's flags and examples.\n", path)
	return b.String()
}

// dispatch walks the tree from c along args and runs the leaf it reaches.
func dispatch(ctx context.Context, g *Global, path string, c *command, args []string, stdout, stderr io.Writer) int {
	for c.Run == nil {
		if len(args) == 0 {
			fmt.Fprint(stderr, groupUsage(path, c))
			return exitUsage
		}
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, groupUsage(path, c))
			return exitOK
		}
		next := c.child(args[0])
		if next == nil {
			fmt.Fprintf(stderr, "error: unknown command %q for '%s'\nnext: run '%s --help' for the list of commands\n", args[0], path, path)
			return exitUsage
		}
		path += " " + next.Name
		c, args = next, args[1:]
	}
	g.path = path
	return c.Run(ctx, g, args, stdout, stderr)
}
