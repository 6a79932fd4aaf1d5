package sc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
)

// TestSystemTopicAfterSettle: with one SPU the SC creates the
// consumer-offset system topic by itself once the registered SPUs have
// not changed for the settle time (1 replica, flagged system), pushes it
// to the SPU, lists it only as a system topic, gives its metadata by name
// only, and refuses to delete it, grow it or create a topic of its name.
func TestSystemTopicAfterSettle(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.SystemTopicSettle = 300 * time.Millisecond })
	e.register(1, "")
	spu := newFakeSPU(t, e, 1)
	_, err := spu.hello()
	testkit.NoErr(t, err)
	defer spu.beatEvery(100 * time.Millisecond)()

	var sys bus.TopicListResponse
	testkit.WaitFor(t, 20*time.Second, func() error {
		var err error
		sys, err = req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{System: true})
		if err == nil && len(sys.Items) != 1 {
			err = fmt.Errorf("system topics %+v", sys.Items)
		}
		return err
	})
	got := sys.Items[0]
	if got.Name != bus.ConsumerOffsetTopic || !got.Spec.System || got.Spec.ReplicationFactor != 1 || got.Spec.Partitions != 1 || got.Status.ID == 0 {
		t.Fatalf("system topic %+v", got)
	}
	testkit.WaitFor(t, 20*time.Second, func() error {
		set, ok := spu.lastSet()
		for _, r := range set.Replicas {
			if ok && r.Topic == bus.ConsumerOffsetTopic && r.Config.System {
				return nil
			}
		}
		return fmt.Errorf("the SPU was not given the system topic: %+v", set)
	})

	users, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(users.Items), 0)
	md, err := req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(md.Partitions), 0)
	md, err = req[bus.MetadataResponse](t, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{bus.ConsumerOffsetTopic}})
	testkit.NoErr(t, err)
	if len(md.Partitions) != 1 || !md.Partitions[0].System || md.Partitions[0].TopicID != got.Status.ID {
		t.Fatalf("metadata of the system topic %+v", md.Partitions)
	}

	_, err = req[bus.TopicDeleteResponse](t, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: bus.ConsumerOffsetTopic})
	requireErr(t, err, bus.ErrBadRequest, "is a system topic: it cannot be deleted", "fluvio consumer delete")
	_, err = req[bus.TopicAddPartitionResponse](t, e.nc, bus.SubjectAdminTopicAddPartition, bus.TopicAddPartitionRequest{Name: bus.ConsumerOffsetTopic, Count: 1})
	requireErr(t, err, bus.ErrBadRequest, "is a system topic")
	_, err = e.createTopic(bus.ConsumerOffsetTopic, 1, 1)
	requireErr(t, err, bus.ErrInvalidName, "reserved for a system topic")
	_, err = req[bus.TopicCreateResponse](t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "mine", Spec: bus.TopicSpec{System: true}})
	requireErr(t, err, bus.ErrInvalidConfig, "created by the SC only")

	// A topic created again under a name gets another incarnation id.
	first, err := e.createTopic("again", 1, 1)
	testkit.NoErr(t, err)
	_, err = req[bus.TopicDeleteResponse](t, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "again"})
	testkit.NoErr(t, err)
	second, err := e.createTopic("again", 1, 1)
	testkit.NoErr(t, err)
	if first.Status.ID == 0 || first.Status.ID == second.Status.ID {
		t.Fatalf("incarnation ids %d then %d", first.Status.ID, second.Status.ID)
	}
}
