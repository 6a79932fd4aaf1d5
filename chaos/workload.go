package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio"
)

// workload is the producers: ProducersPerPartition per partition, each
// sending one record at a time (SendSync) at its share of Rate, with unique
// values. It records every acknowledgement and every failed send.
type workload struct {
	cfg    Config
	client *fluvio.Client

	mu      sync.Mutex
	acks    []Ack
	unknown []Unknown
}

// run starts the producers and returns when ctx ends and every send in
// flight has finished (each bounded by sendTimeout).
func (w *workload) run(ctx context.Context) error {
	n := partitions * w.cfg.ProducersPerPartition
	every := time.Duration(float64(time.Second) * float64(n) / float64(w.cfg.Rate))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		part := int32(i / w.cfg.ProducersPerPartition)
		wg.Go(func() {
			if err := w.produce(ctx, i, part, every); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// sendTimeout bounds one SendSync: long enough for a failover and an ISR
// shrink (replica-lag-time-max is 10s).
const sendTimeout = 30 * time.Second

func (w *workload) produce(ctx context.Context, id int, part int32, every time.Duration) error {
	acks := fluvio.AcksAll
	if w.cfg.Negative {
		acks = fluvio.AcksLeader
	}
	pr, err := w.client.Producer(topicName,
		fluvio.WithAcks(acks),
		fluvio.WithPartitioner(fluvio.PartitionerFunc(func([]byte, int32) int32 { return part })),
		fluvio.WithRetries(1000, 50*time.Millisecond),
	)
	if err != nil {
		return fmt.Errorf("chaos: producer %d: %w", id, err)
	}
	defer pr.Close()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := int64(0); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		v := Value(id, seq)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		off, err := pr.SendSync(sctx, nil, []byte(v))
		cancel()
		w.mu.Lock()
		if err != nil {
			w.unknown = append(w.unknown, Unknown{Producer: id, Seq: seq, Partition: part, Value: v, Err: err.Error()})
		} else {
			w.acks = append(w.acks, Ack{Producer: id, Seq: seq, Partition: part, Offset: off, Value: v, At: time.Now()})
		}
		w.mu.Unlock()
	}
}

// history returns what was recorded so far.
func (w *workload) history() ([]Ack, []Unknown) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Ack(nil), w.acks...), append([]Unknown(nil), w.unknown...)
}
