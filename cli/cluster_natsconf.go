package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/internal/atomicfile"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// runClusterGenNATSConf writes the identities of a cluster that runs on an
// external NATS, and the nats-server config that accepts exactly them.
func runClusterGenNATSConf(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster gen-nats-conf --out-dir DIR [--spus 5001-5003] [--listen HOST:PORT] [--kv-bucket NAME] [--tls]",
		Short: `Write the NATS identities of a cluster that runs on an external NATS, and a
nats-server config (DIR/nats.conf) that accepts only them, each with its role's
least-privilege permissions: sc, admin, client, read-only, and one user per SPU
(SPU N publishes only its own fluvio.spu.N requests and receives only what the SC
sends it; only the SC touches the KV bucket; replies go to per-identity inboxes).

Credential files (nkey seeds, mode 0600) go to DIR: existing ones are kept, so
running it again after registering more SPUs only adds their users. SPUs are
the --spus ids plus every spu-<id>.creds already in DIR ('fluvio custom-spu
register --creds-out DIR/spu-<id>.creds' writes one). Reload nats-server after
a change ('nats-server --signal reload'); an SPU removed from the config is
disconnected by the reload.

With --tls it also makes a CA in DIR/tls (kept when it exists) and certificates
for nats-server, the SC, each SPU (spu-<id>, loopback names only: an SPU on
another host gets its own with 'fluvio custom-spu register --certs-out DIR
--ca-dir DIR/tls') and the admin, client and read-only clients, and nats.conf
speaks TLS only, requiring client certificates signed by the CA.`,
		Examples: `fluvio cluster gen-nats-conf --out-dir /etc/fluvio --spus 5001-5003
			nats-server -c /etc/fluvio/nats.conf
			sc-server --nats-url nats://127.0.0.1:4222 --nats-creds /etc/fluvio/sc.creds
			spu-server --id 5001 --sc-controller 127.0.0.1:4222 --creds /etc/fluvio/spu-5001.creds
			fluvio profile add prod --sc 127.0.0.1:4222 --creds /etc/fluvio/admin.creds --switch`,
	}, false)
	outDir := fs.String("out-dir", "", "`DIR` for nats.conf and the credential files (required)")
	spus := fs.String("spus", "", "SPU ids to make identities for: `IDS` like 5001-5003 or 5001,5004")
	listen := fs.String("listen", "127.0.0.1:4222", "the nats-server listen address, `HOST:PORT`")
	bucket := fs.String("kv-bucket", natsauth.DefaultBucket, "the SC's KV bucket `NAME` (sc-server --kv-bucket)")
	withTLS := fs.Bool("tls", false, "also make a CA and certificates in DIR/tls, and a nats.conf that speaks TLS only (mutual TLS)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *outDir == "" {
		return g.usageError(stderr, "missing --out-dir DIR: where to write nats.conf and the credentials")
	}
	if err := validateAddr(*listen); err != nil {
		return g.usageError(stderr, "--listen: "+err.Error())
	}
	ids, err := parseSPUIDs(*spus)
	if err != nil {
		return g.usageError(stderr, "--spus: "+err.Error())
	}
	dir, err := filepath.Abs(*outDir)
	if err != nil {
		return g.fail(stderr, err)
	}
	cl, err := natsauth.EnsureIdentities(dir)
	if err != nil {
		return g.fail(stderr, withHint(err, exitError, "pick a writable --out-dir"))
	}
	// SPUs already in DIR, plus --spus.
	matches, _ := filepath.Glob(filepath.Join(dir, "spu-*.creds"))
	for _, m := range matches {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "spu-"), ".creds"), 10, 32)
		if err == nil && n >= 0 && !slices.Contains(ids, natsauth.SPUID(n)) {
			ids = append(ids, natsauth.SPUID(n))
		}
	}
	slices.Sort(ids)
	users := cl.Users()
	for _, id := range ids {
		c, err := natsauth.LoadOrCreate(filepath.Join(dir, natsauth.SPUFile(id)), fmt.Sprintf("spu-%d", id), natsauth.RoleSPU)
		if err != nil {
			return g.fail(stderr, err)
		}
		users = append(users, natsauth.User{Name: fmt.Sprintf("spu-%d", id), Role: natsauth.RoleSPU, Public: c.Public, SPU: id})
	}
	var confTLS *natsauth.ConfTLS
	tlsDir := filepath.Join(dir, "tls")
	tlsArgs := func(string) string { return "" }
	scheme := "nats"
	if *withTLS {
		if confTLS, err = genTLS(tlsDir, *listen, ids); err != nil {
			return g.fail(stderr, withHint(err, exitError, "pick a writable --out-dir"))
		}
		tlsArgs = func(name string) string {
			f := tlsconf.FilesIn(tlsDir, name)
			return fmt.Sprintf(" --tls-cert %s --tls-key %s --tls-ca %s", f.Cert, f.Key, f.CA)
		}
		scheme = "tls"
	}
	conf, err := natsauth.Conf(natsauth.ServerConfig{Listen: *listen, StoreDir: filepath.Join(dir, "jetstream"), Bucket: *bucket, Users: users, TLS: confTLS})
	if err != nil {
		return g.fail(stderr, err)
	}
	path := filepath.Join(dir, "nats.conf")
	if err := atomicfile.Write(path, []byte(conf), 0o600); err != nil {
		return g.fail(stderr, fmt.Errorf("write %s: %w", path, err))
	}
	fmt.Fprintf(stdout, "wrote %s: %d users (sc, admin, client, read-only and %d SPU(s))\n", path, len(users), len(ids))
	fmt.Fprintf(stdout, `next:
  nats-server -c %[1]s
  sc-server --nats-url %[5]s://%[2]s --nats-creds %[3]s%[6]s
  fluvio profile add external --sc %[2]s --creds %[4]s%[7]s --switch
`, path, *listen, filepath.Join(dir, natsauth.FileSC), filepath.Join(dir, natsauth.FileAdmin), scheme, tlsArgs("sc"), tlsArgs("admin"))
	for _, id := range ids {
		fmt.Fprintf(stdout, "  fluvio custom-spu register --id %[1]d -p HOST:PORT -v HOST:PORT --spu-creds %[2]s\n  spu-server --id %[1]d --sc-controller %[3]s --creds %[2]s%[4]s\n",
			id, filepath.Join(dir, natsauth.SPUFile(id)), *listen, tlsArgs(tlsconf.SPUName(int32(id))))
	}
	return exitOK
}

// genTLS makes the CA in dir (kept when it exists) and the certificates
// gen-nats-conf --tls hands out, and returns nats-server's tls files.
func genTLS(dir, listen string, ids []natsauth.SPUID) (*natsauth.ConfTLS, error) {
	ca, err := tlsconf.EnsureAuthority(dir, "fluvio cluster CA")
	if err != nil {
		return nil, err
	}
	hosts := slices.Clone(tlsconf.LocalHosts)
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" && !slices.Contains(hosts, h) {
		hosts = append(hosts, h)
	}
	leaves := []tlsconf.Leaf{{Name: "nats", Hosts: hosts}, {Name: "sc"},
		{Name: tlsconf.RoleAdmin, Role: tlsconf.RoleAdmin}, {Name: tlsconf.RoleClient, Role: tlsconf.RoleClient},
		{Name: tlsconf.RoleReadOnly, Role: tlsconf.RoleReadOnly}}
	for _, id := range ids {
		leaves = append(leaves, tlsconf.Leaf{Name: tlsconf.SPUName(int32(id)), Hosts: tlsconf.LocalHosts})
	}
	var natsFiles tlsconf.Files
	for _, l := range leaves {
		f, err := ca.Ensure(dir, l)
		if err != nil {
			return nil, err
		}
		if l.Name == "nats" {
			natsFiles = f
		}
	}
	return &natsauth.ConfTLS{Cert: natsFiles.Cert, Key: natsFiles.Key, CA: natsFiles.CA}, nil
}

// parseSPUIDs parses "5001-5003,5007" ("" is none).
func parseSPUIDs(s string) ([]natsauth.SPUID, error) {
	var ids []natsauth.SPUID
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.ParseInt(lo, 10, 32)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not an SPU id or range like 5001-5003", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 32); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range like 5001-5003", part)
			}
		}
		if b-a >= 1000 {
			return nil, fmt.Errorf("%q: at most 1000 SPUs at once", part)
		}
		for id := a; id <= b; id++ {
			if !slices.Contains(ids, natsauth.SPUID(id)) {
				ids = append(ids, natsauth.SPUID(id))
			}
		}
	}
	return ids, nil
}

// spuCredsFor returns the credentials register uses: the file given with
// --spu-creds (made by gen-nats-conf), else a new identity.
func spuCredsFor(path string, id int64) (*natsauth.Creds, error) {
	if path == "" {
		return natsauth.New(fmt.Sprintf("spu-%d", id), natsauth.RoleSPU)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, withHint(fmt.Errorf("--spu-creds: %w", err), exitUsage, "pass a file 'fluvio cluster gen-nats-conf' wrote, or leave --spu-creds out to make new credentials")
	}
	return natsauth.Load(path)
}
