package tlsconf

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SPUName is the name an SPU's certificate carries (CN and DNS SAN):
// "spu-<id>".
func SPUName(id int32) string { return "spu-" + strconv.Itoa(int(id)) }

// SPUID returns the SPU id a certificate names (CN or a DNS SAN
// "spu-N"); ok is false when it names none, err set when it names more
// than one.
func SPUID(cert *x509.Certificate) (id int32, ok bool, err error) {
	var ids []int32
	for _, n := range append([]string{cert.Subject.CommonName}, cert.DNSNames...) {
		s, found := strings.CutPrefix(n, "spu-")
		if !found {
			continue
		}
		v, perr := strconv.ParseInt(s, 10, 32)
		if perr != nil || v < 0 {
			continue
		}
		ids = append(ids, int32(v))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch len(ids) {
	case 0:
		return 0, false, nil
	case 1:
		return ids[0], true, nil
	}
	return 0, false, fmt.Errorf("the certificate %q names several SPUs %v: issue one certificate per SPU", cert.Subject.CommonName, ids)
}

// Client roles a certificate may name in its OU.
const (
	RoleAdmin    = "admin"
	RoleClient   = "client"
	RoleReadOnly = "read-only"
)

// Role returns the client role a verified certificate grants: its first
// OU naming a role (admin, client, read-only); a certificate signed by
// the cluster's CA without one is a client.
func Role(cert *x509.Certificate) string {
	for _, ou := range cert.Subject.OrganizationalUnit {
		switch ou {
		case RoleAdmin, RoleClient, RoleReadOnly:
			return ou
		}
	}
	return RoleClient
}
