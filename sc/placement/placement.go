package placement

import (
	"errors"
	"fmt"
	"slices"
)

// SPU is what placement knows of one registered SPU.
type SPU struct {
	// ID is the SPU id; ids in one call must be distinct.
	ID int32
	// Rack is the SPU's rack; "" means none (a rack of its own).
	Rack string
	// Online reports whether the SPU is connected; offline SPUs are used
	// only when there are not enough online ones.
	Online bool
}

var (
	// ErrNotEnoughSPUs is returned by Assign when the replication factor is
	// larger than the number of registered SPUs.
	ErrNotEnoughSPUs = errors.New("placement: not enough SPUs")
	// ErrInvalid is returned by Assign for a partition count or replication
	// factor below 1, or duplicate SPU ids.
	ErrInvalid = errors.New("placement: invalid request")
)

// candidate is one SPU's running totals during Assign.
type candidate struct {
	SPU
	load    int // replicas held, including those placed by this call
	leaders int // leaders placed by this call
}

// Assign returns, for each of partitions partitions, the ids of the SPUs
// holding its replicas, the leader first. load gives the number of replicas
// each SPU already holds (missing ids hold none); it is not modified. The
// result depends only on the arguments (not on the order of spus).
//
// Errors: ErrNotEnoughSPUs when replicas > len(spus), ErrInvalid for
// partitions < 1, replicas < 1 or duplicate ids.
func Assign(spus []SPU, load map[int32]int, partitions, replicas int, ignoreRack bool) ([][]int32, error) {
	if partitions < 1 {
		return nil, fmt.Errorf("%w: %d partitions: a topic needs at least 1", ErrInvalid, partitions)
	}
	if replicas < 1 {
		return nil, fmt.Errorf("%w: replication factor %d: it must be at least 1", ErrInvalid, replicas)
	}
	if replicas > len(spus) {
		return nil, fmt.Errorf("%w: replication factor %d needs %d SPUs but %d are registered: "+
			"register more with 'fluvio custom-spu register' or lower the replication factor",
			ErrNotEnoughSPUs, replicas, replicas, len(spus))
	}
	cands := make([]*candidate, 0, len(spus))
	for _, s := range spus {
		cands = append(cands, &candidate{SPU: s, load: load[s.ID]})
	}
	slices.SortFunc(cands, func(a, b *candidate) int { return int(a.ID) - int(b.ID) })
	for i := 1; i < len(cands); i++ {
		if cands[i].ID == cands[i-1].ID {
			return nil, fmt.Errorf("%w: SPU id %d listed twice", ErrInvalid, cands[i].ID)
		}
	}
	out := make([][]int32, partitions)
	for p := range out {
		chosen := make([]*candidate, 0, replicas)
		racks := make(map[string]bool, replicas)
		for r := range replicas {
			var best *candidate
			for _, c := range cands {
				if slices.Contains(chosen, c) {
					continue
				}
				if best == nil || better(c, best, r == 0, racks, ignoreRack) {
					best = c
				}
			}
			chosen = append(chosen, best)
			best.load++
			if r == 0 {
				best.leaders++
			}
			if best.Rack != "" {
				racks[best.Rack] = true
			}
		}
		ids := make([]int32, len(chosen))
		for i, c := range chosen {
			ids[i] = c.ID
		}
		out[p] = ids
	}
	return out, nil
}

// better reports whether a should be chosen over b. cands are sorted by id,
// so ties keep the lower id.
func better(a, b *candidate, leader bool, racks map[string]bool, ignoreRack bool) bool {
	if a.Online != b.Online {
		return a.Online
	}
	if leader {
		if a.leaders != b.leaders {
			return a.leaders < b.leaders
		}
	} else if !ignoreRack {
		na, nb := a.Rack == "" || !racks[a.Rack], b.Rack == "" || !racks[b.Rack]
		if na != nb {
			return na
		}
	}
	if a.load != b.load {
		return a.load < b.load
	}
	return a.ID < b.ID
}

// ChooseLeader elects a leader for a partition with the given replicas
// (preferred order) and in-sync replicas: the first replica that is in isr
// and online. If there is none and allowUnclean is set, it returns the
// first online replica not in the ISR (an unclean election: records
// committed only on the lost ISR are gone). ok is false when no replica may
// lead; the partition then stays offline until an ISR member returns.
func ChooseLeader(replicas []int32, isr []int32, online func(int32) bool, allowUnclean bool) (leader int32, ok bool) {
	for _, r := range replicas {
		if slices.Contains(isr, r) && online(r) {
			return r, true
		}
	}
	if allowUnclean {
		for _, r := range replicas {
			if online(r) {
				return r, true
			}
		}
	}
	return -1, false
}
