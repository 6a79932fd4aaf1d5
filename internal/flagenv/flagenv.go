// Package flagenv binds environment variables onto a pflag.FlagSet (STYLE
// S7): a flag not given on the command line takes the value of
// PREFIX_NAME, where NAME is the flag's name upper-cased with '-' as '_'
// (--data-dir <- FLUVIO_SC_DATA_DIR for the prefix "FLUVIO_SC").
package flagenv

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName is the environment variable bound to flag name under prefix.
func EnvName(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Bind sets every flag of fs that was not given on the command line from
// its environment variable, when set. Call it after fs.Parse. lookup is
// os.LookupEnv when nil. A bad value is an error naming the variable.
func Bind(fs *pflag.FlagSet, prefix string, lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		env := EnvName(prefix, f.Name)
		v, ok := lookup(env)
		if !ok {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("bad %s=%q for --%s: %w", env, v, f.Name, serr)
		}
	})
	return err
}
