package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio"
)

// workload is the producers: ProducersPerPartition per partition of the
// topic, each a default producer (idempotent, up to 4 requests in flight
// per partition) fed with SendAsync at its share of Rate, with unique
// values; and the bursts into new topics (newTopic). A collector per
// producer reads the outcomes in Send order and records every
// acknowledgement and every failed send.
type workload struct {
	cfg    Config
	client *fluvio.Client

	mu      sync.Mutex
	acks    []Ack
	unknown []Unknown
	stats   fluvio.ProducerStats // summed over closed producers
	topics  []newTopic           // created by the new-topic fault

	bursts sync.WaitGroup // newTopic's producers
}

// newTopic is a topic created during the run, written while its replicas
// were still being created. Its one partition is reported to Check as
// partition ID.
type newTopic struct {
	Name string
	ID   int32
}

// newTopicBase numbers the new topics' partitions for Check, and
// newTopicProducers their producers, past the topic's.
const (
	newTopicBase      = 100
	newTopicProducers = 1000
	// burstRecords is what a new topic's producer sends, as fast as the
	// producer takes them.
	burstRecords = 400
)

// run starts the producers and returns when ctx ends and every send in
// flight has finished, including the new topics' bursts.
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
	w.bursts.Wait()
	close(errs)
	return <-errs
}

// producer returns a default producer of topic writing to partition part
// (retrying up to 1,000 times for the topic's producers, which run through
// every fault; the default retries for a new topic's burst).
func (w *workload) producer(topic string, part int32) (*fluvio.Producer, error) {
	acks := fluvio.AcksAll
	if w.cfg.Negative {
		acks = fluvio.AcksLeader
	}
	opts := []fluvio.ProducerOption{
		fluvio.WithAcks(acks),
		fluvio.WithPartitioner(fluvio.PartitionerFunc(func([]byte, int32) int32 { return part })),
	}
	if topic == topicName {
		opts = append(opts, fluvio.WithRetries(1000, 50*time.Millisecond))
	}
	if w.cfg.NegativeResend {
		opts = append(opts, fluvio.WithUnsafeRefusedSendsStored())
	}
	return w.client.Producer(topic, opts...)
}

// sent is one record whose outcome the collector waits for.
type sent struct {
	seq   int64
	value string
	res   <-chan fluvio.SendResult
}

// collect records the outcomes of a producer's records, in Send order,
// until in is closed.
func (w *workload) collect(id int, part int32, in <-chan sent) {
	for s := range in {
		r := <-s.res
		w.mu.Lock()
		if r.Err != nil {
			w.unknown = append(w.unknown, Unknown{Producer: id, Seq: s.seq, Partition: part, Value: s.value, Err: r.Err.Error()})
		} else {
			w.acks = append(w.acks, Ack{Producer: id, Seq: s.seq, Partition: part, Offset: int64(r.Offset), Value: s.value, At: time.Now()})
		}
		w.mu.Unlock()
	}
}

// closeProducer closes pr and adds its counters.
func (w *workload) closeProducer(pr *fluvio.Producer) {
	_ = pr.Close() // failures are reported per record
	st := pr.Stats()
	w.mu.Lock()
	w.stats.Requests += st.Requests
	w.stats.Retries += st.Retries
	w.stats.DuplicateSequence += st.DuplicateSequence
	w.stats.OutOfOrderSequence += st.OutOfOrderSequence
	w.stats.UnknownProducerID += st.UnknownProducerID
	w.stats.PartlyDuplicate += st.PartlyDuplicate
	w.stats.SequenceTooOld += st.SequenceTooOld
	w.stats.EpochBumps += st.EpochBumps
	w.mu.Unlock()
}

func (w *workload) produce(ctx context.Context, id int, part int32, every time.Duration) error {
	pr, err := w.producer(topicName, part)
	if err != nil {
		return fmt.Errorf("chaos: producer %d: %w", id, err)
	}
	out := make(chan sent, 2*fluvio.DefaultMaxBufferedRecords)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.collect(id, part, out)
	}()
	defer func() {
		w.closeProducer(pr) // every outcome is delivered before Close returns
		close(out)
		<-done
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := int64(0); ; seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		v := Value(id, seq)
		// Send blocks only while the producer holds its maximum of
		// unacknowledged records.
		res, err := pr.SendAsync(ctx, nil, []byte(v))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("chaos: producer %d: %w", id, err)
		}
		out <- sent{seq: seq, value: v, res: res}
	}
}

// newTopic is the new-topic fault: it creates a topic with one partition
// on every SPU and, without waiting for its replicas, starts a producer
// that sends burstRecords records at once (pipelined), while the leader
// may still refuse them (unknown partition, not leader). It returns once
// the producer started; the burst runs on (owned by w.bursts).
func (w *workload) newTopic(ctx context.Context, k int) error {
	name := fmt.Sprintf("%s-new-%d", topicName, k)
	spec := fluvio.TopicConfig{Partitions: 1, Replicas: spus, MinInSyncReplicas: 2, SegmentBytes: segmentBytes}
	if w.cfg.Negative {
		spec.Sync = "never"
	}
	if err := w.client.CreateTopic(ctx, name, spec); err != nil {
		return fmt.Errorf("chaos: create topic %s: %w", name, err)
	}
	id := newTopicProducers + k
	part := int32(newTopicBase + k)
	pr, err := w.producer(name, 0)
	if err != nil {
		return fmt.Errorf("chaos: producer of new topic %s: %w", name, err)
	}
	w.mu.Lock()
	w.topics = append(w.topics, newTopic{Name: name, ID: part})
	w.mu.Unlock()
	w.bursts.Go(func() {
		out := make(chan sent, burstRecords)
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.collect(id, part, out)
		}()
		for seq := range int64(burstRecords) {
			v := Value(id, seq)
			res, err := pr.SendAsync(context.WithoutCancel(ctx), nil, []byte(v))
			if err != nil {
				w.mu.Lock()
				w.unknown = append(w.unknown, Unknown{Producer: id, Seq: seq, Partition: part, Value: v, Err: err.Error()})
				w.mu.Unlock()
				continue
			}
			out <- sent{seq: seq, value: v, res: res}
		}
		w.closeProducer(pr)
		close(out)
		<-done
	})
	return nil
}

// history returns what was recorded so far.
func (w *workload) history() ([]Ack, []Unknown, fluvio.ProducerStats, []newTopic) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Ack(nil), w.acks...), append([]Unknown(nil), w.unknown...), w.stats, append([]newTopic(nil), w.topics...)
}
