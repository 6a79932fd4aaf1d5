package fluvio

// drain sends the lingering batches of many partitions at once, on the
// goroutine of a Send that found the window (WithMaxBuffered) full with
// nothing in flight (lingerControl.flush): one request per partition, as
// each partition's run loop would start it, but all written together, one
// write of MultiProduce frames per leader (manyStarter), instead of waking
// every partition's run loop to start its request alone. With the window
// spread over many partitions (1,000 records over 1,000 partitions: every
// request is one record) those wake-ups, and the requests' contention for
// the connection, were most of the producer's cost per record.
//
// A partition is drained only as its run loop would start a request: with
// its runMu (so requests of a partition start one at a time, oldest
// batches first), a free pipeline slot and its sendMu (so nothing starts
// while the completer retries); a partition where one of them is taken is
// told to flush instead, as before. A request that starts a producer epoch
// is answered before the partition's next one is written (see
// pipeline.start): drain keeps that partition's runMu until then.
//
// force sends the queues' batches without lingering (a full window, or
// Flush); without it (the linger timer) a queue whose batch is not due
// yet (a newer one than the timer was set for) is timed again.
func (p *Producer) drain(qs []*partitionQueue, force bool) {
	ms, ok := p.t.(manyStarter)
	if !ok {
		for _, q := range qs {
			q.requestFlush()
		}
		return
	}
	type started struct {
		q        *partitionQueue
		req      *inflightReq
		answered chan struct{} // the request starts an epoch
	}
	now := p.cfg.now() // one clock reading for the batches' ages
	starts := make([]started, 0, len(qs))
	calls := make([]produceCall, 0, len(qs))
	for _, q := range qs {
		pl := q.pipe
		if !q.tryLockRun() {
			q.requestFlush()
			continue
		}
		if !pl.tryReserve() {
			q.unlockRun()
			q.requestFlush()
			continue
		}
		if !pl.tryLockSend() {
			pl.unreserve()
			q.unlockRun()
			q.requestFlush()
			continue
		}
		if force {
			q.mu.Lock()
			q.urgent = true // as requestFlush: send without lingering
			q.mu.Unlock()
		}
		req := pl.newReq()
		batches, wait, exit := q.take(req.batches, now)
		if exit || len(batches) == 0 {
			pl.freeReq(req)
			<-pl.sendMu
			pl.unreserve()
			q.afterStart()
			q.unlockRun()
			if wait > 0 && q.timers != nil {
				q.timers.add(q, now.Add(wait))
			}
			continue
		}
		st := started{q: q, req: req}
		if pl.seq.stamp(batches) {
			st.answered = make(chan struct{})
			req.answered = st.answered
		}
		req.batches = batches
		calls = append(calls, pl.w.call(batches)) // its records stay put until written
		starts = append(starts, st)
	}
	if len(starts) == 0 {
		return
	}
	ctx := p.deadlines.get(p.cfg.now())
	waits := ms.startProduceMany(ctx, calls)
	for i, st := range starts {
		pl := st.q.pipe
		st.req.answer = pl.w.answerOf(ctx, waits[i])
		pl.inflight <- st.req // never blocks: slots bound it
		<-pl.sendMu
		if st.answered == nil {
			st.q.afterStart()
			st.q.unlockRun()
		}
	}
	for _, st := range starts {
		if st.answered != nil {
			<-st.answered
			st.q.afterStart()
			st.q.unlockRun()
		}
	}
}
