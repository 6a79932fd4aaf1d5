package placement

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

func spus(ids ...int32) []SPU {
	out := make([]SPU, len(ids))
	for i, id := range ids {
		out[i] = SPU{ID: id, Online: true}
	}
	return out
}

func TestAssign(t *testing.T) {
	cases := []struct {
		name       string
		spus       []SPU
		load       map[int32]int
		partitions int
		replicas   int
		ignoreRack bool
		want       [][]int32
		wantErr    error
	}{
		{
			name: "one spu one partition", spus: spus(5001), partitions: 1, replicas: 1,
			want: [][]int32{{5001}},
		},
		{
			name: "leaders round robin", spus: spus(1, 2, 3), partitions: 3, replicas: 1,
			want: [][]int32{{1}, {2}, {3}},
		},
		{
			name: "rf 2 over 3", spus: spus(1, 2, 3), partitions: 3, replicas: 2,
			want: [][]int32{{1, 2}, {3, 1}, {2, 3}},
		},
		{
			name: "existing load goes last", spus: spus(1, 2, 3), load: map[int32]int{1: 5, 2: 1},
			partitions: 2, replicas: 2,
			want: [][]int32{{3, 2}, {2, 3}},
		},
		{
			name:       "offline used only when needed",
			spus:       []SPU{{ID: 1, Online: false}, {ID: 2, Online: true}, {ID: 3, Online: true}},
			partitions: 2, replicas: 3,
			want: [][]int32{{2, 3, 1}, {3, 2, 1}},
		},
		{
			name:       "offline not chosen while online suffice",
			spus:       []SPU{{ID: 1, Online: false}, {ID: 2, Online: true}, {ID: 3, Online: true}},
			partitions: 2, replicas: 1,
			want: [][]int32{{2}, {3}},
		},
		{
			name: "racks spread",
			spus: []SPU{{ID: 1, Rack: "a", Online: true}, {ID: 2, Rack: "a", Online: true},
				{ID: 3, Rack: "b", Online: true}, {ID: 4, Rack: "b", Online: true}},
			partitions: 2, replicas: 2,
			want: [][]int32{{1, 3}, {2, 4}},
		},
		{
			name: "ignore rack",
			spus: []SPU{{ID: 1, Rack: "a", Online: true}, {ID: 2, Rack: "a", Online: true},
				{ID: 3, Rack: "b", Online: true}, {ID: 4, Rack: "b", Online: true}},
			partitions: 1, replicas: 2, ignoreRack: true,
			want: [][]int32{{1, 2}},
		},
		{
			name: "input order does not matter", spus: spus(3, 1, 2), partitions: 3, replicas: 1,
			want: [][]int32{{1}, {2}, {3}},
		},
		{name: "more replicas than spus", spus: spus(1, 2), partitions: 1, replicas: 3, wantErr: ErrNotEnoughSPUs},
		{name: "no spus", partitions: 1, replicas: 1, wantErr: ErrNotEnoughSPUs},
		{name: "zero partitions", spus: spus(1), partitions: 0, replicas: 1, wantErr: ErrInvalid},
		{name: "zero replicas", spus: spus(1), partitions: 1, replicas: 0, wantErr: ErrInvalid},
		{name: "duplicate ids", spus: spus(1, 1), partitions: 1, replicas: 1, wantErr: ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Assign(tc.spus, tc.load, tc.partitions, tc.replicas, tc.ignoreRack)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAssignDoesNotModifyLoad(t *testing.T) {
	load := map[int32]int{1: 2}
	if _, err := Assign(spus(1, 2), load, 4, 2, false); err != nil {
		t.Fatal(err)
	}
	if len(load) != 1 || load[1] != 2 {
		t.Fatalf("load modified: %v", load)
	}
}

func TestNotEnoughSPUsMessage(t *testing.T) {
	_, err := Assign(spus(1, 2), nil, 1, 3, false)
	want := "placement: not enough SPUs: replication factor 3 needs 3 SPUs but 2 are registered: " +
		"register more with 'fluvio custom-spu register' or lower the replication factor"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// rackUnit is the rack a replica counts for: its rack, or itself.
func rackUnit(s SPU) string {
	if s.Rack == "" {
		return fmt.Sprintf("spu-%d", s.ID)
	}
	return "rack-" + s.Rack
}

func TestAssignProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "spus")
		ids := rapid.SliceOfNDistinct(rapid.Int32Range(0, 10000), n, n, rapid.ID[int32]).Draw(t, "ids")
		useRacks := rapid.Bool().Draw(t, "useRacks")
		allOnline := rapid.Bool().Draw(t, "allOnline")
		cluster := make([]SPU, n)
		byID := map[int32]SPU{}
		for i, id := range ids {
			s := SPU{ID: id, Online: allOnline || rapid.Bool().Draw(t, "online")}
			if useRacks {
				s.Rack = rapid.SampledFrom([]string{"", "a", "b", "c"}).Draw(t, "rack")
			}
			cluster[i] = s
			byID[id] = s
		}
		var load map[int32]int
		if rapid.Bool().Draw(t, "withLoad") {
			load = map[int32]int{}
			for _, id := range ids {
				load[id] = rapid.IntRange(0, 5).Draw(t, "load")
			}
		}
		partitions := rapid.IntRange(1, 30).Draw(t, "partitions")
		replicas := rapid.IntRange(1, n+1).Draw(t, "replicas")
		ignoreRack := rapid.Bool().Draw(t, "ignoreRack")

		got, err := Assign(cluster, load, partitions, replicas, ignoreRack)
		if replicas > n {
			if !errors.Is(err, ErrNotEnoughSPUs) {
				t.Fatalf("err = %v, want ErrNotEnoughSPUs", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}

		// Deterministic, whatever the input order.
		shuffled := slices.Clone(cluster)
		slices.Reverse(shuffled)
		again, err := Assign(shuffled, load, partitions, replicas, ignoreRack)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(got) {
			t.Fatalf("not deterministic: %v vs %v (%v)", got, again, err)
		}

		onlineUnits := map[string]bool{}
		online := 0
		for _, s := range cluster {
			if s.Online {
				online++
				onlineUnits[rackUnit(s)] = true
			}
		}
		replicaCount := map[int32]int{}
		leaderCount := map[int32]int{}
		if len(got) != partitions {
			t.Fatalf("%d partitions, want %d", len(got), partitions)
		}
		for p, rs := range got {
			if len(rs) != replicas {
				t.Fatalf("partition %d: %d replicas, want %d", p, len(rs), replicas)
			}
			seen := map[int32]bool{}
			units := map[string]bool{}
			onlineChosen, offlineChosen := 0, 0
			for _, id := range rs {
				s, ok := byID[id]
				if !ok {
					t.Fatalf("partition %d: unknown SPU %d", p, id)
				}
				if seen[id] {
					t.Fatalf("partition %d: SPU %d twice in %v", p, id, rs)
				}
				seen[id] = true
				replicaCount[id]++
				if s.Online {
					onlineChosen++
					units[rackUnit(s)] = true
				} else {
					offlineChosen++
				}
			}
			leaderCount[rs[0]]++
			// Prefer online: an offline replica only once every online SPU is used.
			if offlineChosen > 0 && onlineChosen != online {
				t.Fatalf("partition %d: %v uses an offline SPU with online ones left", p, rs)
			}
			if online > 0 && !byID[rs[0]].Online {
				t.Fatalf("partition %d: offline leader %d", p, rs[0])
			}
			// As many racks as possible among the online replicas.
			if !ignoreRack {
				if want := min(onlineChosen, len(onlineUnits)); len(units) != want {
					t.Fatalf("partition %d: %v spans %d racks, want %d", p, rs, len(units), want)
				}
			}
		}
		// Leaders balanced over online SPUs (over all if none is online).
		spread := func(counts map[int32]int, onlyOnline bool) int {
			lo, hi := int(^uint(0)>>1), 0
			for _, s := range cluster {
				if onlyOnline && !s.Online {
					continue
				}
				lo, hi = min(lo, counts[s.ID]), max(hi, counts[s.ID])
			}
			return hi - lo
		}
		if d := spread(leaderCount, online > 0); d > 1 {
			t.Fatalf("leader counts differ by %d: %v", d, leaderCount)
		}
		// Replicas balanced when nothing else pulls: all online, no prior
		// load, no rack constraint.
		if allOnline && load == nil && (ignoreRack || !useRacks) {
			if d := spread(replicaCount, false); d > 1 {
				t.Fatalf("replica counts differ by %d: %v", d, replicaCount)
			}
		}
	})
}

func TestChooseLeader(t *testing.T) {
	up := func(ids ...int32) func(int32) bool {
		return func(id int32) bool { return slices.Contains(ids, id) }
	}
	cases := []struct {
		name     string
		replicas []int32
		isr      []int32
		online   func(int32) bool
		unclean  bool
		want     int32
		wantOK   bool
	}{
		{"preferred leader", []int32{1, 2, 3}, []int32{1, 2, 3}, up(1, 2, 3), false, 1, true},
		{"preferred down", []int32{1, 2, 3}, []int32{1, 2, 3}, up(2, 3), false, 2, true},
		{"replica order not isr order", []int32{3, 1, 2}, []int32{1, 2, 3}, up(1, 2, 3), false, 3, true},
		{"out of sync skipped", []int32{1, 2, 3}, []int32{1, 3}, up(2, 3), false, 3, true},
		{"no isr online", []int32{1, 2, 3}, []int32{1}, up(2, 3), false, -1, false},
		{"unclean allowed", []int32{1, 2, 3}, []int32{1}, up(3), true, 3, true},
		{"unclean prefers isr", []int32{1, 2, 3}, []int32{3}, up(2, 3), true, 3, true},
		{"nothing online", []int32{1, 2}, []int32{1, 2}, up(), true, -1, false},
		// The ISR shrank to the leader alone, which then died: the lagging
		// follower lacks committed records and must not lead (it would
		// lose them), unless unclean election is asked for.
		{"last replica standing is not replaced by a lagging one", []int32{1, 2, 3}, []int32{1}, up(2, 3), false, -1, false},
		{"last replica standing returns", []int32{2, 1, 3}, []int32{1}, up(1, 2, 3), false, 1, true},
		{"isr member not a replica", []int32{1, 2}, []int32{9}, up(9), false, -1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ChooseLeader(tc.replicas, tc.isr, tc.online, tc.unclean)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("got (%d, %v), want (%d, %v)", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
