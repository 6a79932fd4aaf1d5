package natsauth

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// DefaultBucket is the SC's default KV bucket (sc.DefaultBucket).
const DefaultBucket = "fluvio"

// Identities of one cluster: the SC and one identity per client role.
// They live as credential files in one directory (see Dir).
type Identities struct {
	Dir      string
	SC       *Creds
	Admin    *Creds
	Client   *Creds
	ReadOnly *Creds
}

// Credential file names in an identities directory.
const (
	FileSC       = "sc.creds"
	FileAdmin    = "admin.creds"
	FileClient   = "client.creds"
	FileReadOnly = "read-only.creds"
)

// SPUFile is the name of SPU id's credential file in an identities
// directory ('fluvio cluster start' keeps its managed SPUs' there).
func SPUFile(id SPUID) string { return "spu-" + strconv.Itoa(int(id)) + ".creds" }

// EnsureIdentities loads the identities in dir, making the missing ones.
// It is safe to run concurrently (a file is never replaced).
func EnsureIdentities(dir string) (*Identities, error) {
	ids := &Identities{Dir: dir}
	for _, x := range []struct {
		p    **Creds
		file string
		name string
		role Role
	}{
		{&ids.SC, FileSC, "sc", RoleSC},
		{&ids.Admin, FileAdmin, "admin", RoleAdmin},
		{&ids.Client, FileClient, "client", RoleClient},
		{&ids.ReadOnly, FileReadOnly, "read-only", RoleReadOnly},
	} {
		c, err := LoadOrCreate(filepath.Join(dir, x.file), x.name, x.role)
		if err != nil {
			return nil, fmt.Errorf("natsauth: identities in %s: %w", dir, err)
		}
		c.Role = x.role
		*x.p = c
	}
	return ids, nil
}

// Users are the identities as NATS users (without SPUs).
func (ids *Identities) Users() []User {
	return []User{
		{Name: "sc", Role: RoleSC, Public: ids.SC.Public},
		{Name: "admin", Role: RoleAdmin, Public: ids.Admin.Public},
		{Name: "client", Role: RoleClient, Public: ids.Client.Public},
		{Name: "read-only", Role: RoleReadOnly, Public: ids.ReadOnly.Public},
	}
}
