package replica

// UndefinedEpoch marks an unknown epoch in KIP-101 answers.
const UndefinedEpoch int32 = -1

// TruncationOffset is KIP-101 with KIP-279's fix: where a replica that
// becomes follower truncates its log before fetching, given the leader's
// answer (leaderEpoch, leaderEnd) to "where did my latest epoch end?".
// localEnd answers the same question on the local log (largest epoch <=
// the argument and the offset where it ended); leo is the local log end.
//
//   - leader knows no epoch <= ours: everything we have diverges; truncate
//     to start (the local log start);
//   - leader has our epoch: truncate to min(leaderEnd, leo);
//   - leader's answer is an older epoch: our latest epochs never existed on
//     the leader; truncate to where that older epoch ended on both sides.
//
// It never uses the high watermark.
func TruncationOffset(leo, start int64, asked int32, localEnd func(epoch int32) (int32, int64), leaderEpoch int32, leaderEnd int64) int64 {
	if asked == UndefinedEpoch {
		return leo // empty epoch history: nothing to reconcile
	}
	if leaderEpoch == UndefinedEpoch || leaderEnd < 0 {
		return start
	}
	end := min(leaderEnd, leo)
	if leaderEpoch < asked {
		if _, mine := localEnd(leaderEpoch); mine >= 0 {
			end = min(end, mine)
		}
	}
	return max(end, start)
}
