package localcluster

import (
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{SCCommand{Bin: "sc-server", Addr: "h:9003", HTTP: "h:9008", DataDir: "/d/sc", AuthDir: "/d/auth"}.Argv(),
			"sc-server --sc h:9003 --data-dir /d/sc --http h:9008 --auth-dir /d/auth"},
		{SCCommand{Bin: "sc-server", Addr: "h:8993", Private: "h:8994", DataDir: "/d/sc-2", Cluster: "h:8997",
			Routes: []string{"h:9007", "h:8997"}, Name: "sc-2", Extra: []string{"--pprof"}}.Argv(),
			"sc-server --sc h:8993 --data-dir /d/sc-2 --sc-private h:8994 --no-auth --cluster h:8997 --routes h:9007,h:8997 --name sc-2 --pprof"},
		{SPUCommand{Bin: "spu-server", ID: 5001, SCs: "h:9003,h:8993", LogDir: "/d/spu-5001", HTTP: "h:9012", Creds: "/d/auth/spu-5001.creds"}.Argv(),
			"spu-server --id 5001 --sc-controller h:9003,h:8993 --log-base-dir /d/spu-5001 --http h:9012 --creds /d/auth/spu-5001.creds"},
		{SPUCommand{Bin: "spu-server", ID: 5002, SCs: "h:9003", LogDir: "/d/spu-5002", Public: "h:9020", Private: "h:9021", Extra: []string{"--pprof"}}.Argv(),
			"spu-server --id 5002 --sc-controller h:9003 --log-base-dir /d/spu-5002 --public-server h:9020 --private-server h:9021 --pprof"},
	} {
		if got := strings.Join(c.argv, " "); got != c.want {
			t.Errorf("argv\n got %s\nwant %s", got, c.want)
		}
	}
}
