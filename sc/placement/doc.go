// Package placement assigns partition replicas to SPUs and chooses leaders.
// It is pure: no I/O, no clock, deterministic for the same input.
// It imports nothing of ours.
//
// # Assignment
//
// [Assign] places each partition's replicas greedily, one partition after
// the other, updating the load it was given as it goes:
//
//   - the leader (first replica) is the SPU with the fewest leaders placed so
//     far in this call, preferring online SPUs, then the least loaded, then
//     the lowest id;
//   - each follower is a distinct SPU, preferring online SPUs, then a rack
//     this partition does not use yet (unless ignoreRack), then the least
//     loaded, then the lowest id.
//
// So with every SPU online and no prior load, replica counts and leader
// counts differ by at most one between SPUs, and a partition spans
// min(replicas, racks) racks. SPUs without a rack each count as a rack of
// their own. More replicas than SPUs is [ErrNotEnoughSPUs].
//
// # Leader choice
//
// [ChooseLeader] elects, in the preferred order of the replica list, the
// first online member of the ISR; only when there is none and unclean
// election is allowed does it take the first online replica outside the
// ISR (which may lose committed records).
package placement
