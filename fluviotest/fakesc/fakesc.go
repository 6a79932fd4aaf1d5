package fakesc

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/nats-io/nats.go/micro"
)

// SC is a fake SC. Its NATS server and service stop with the test.
type SC struct {
	addr string

	mu     sync.Mutex
	spus   map[int32]bus.SPU
	topics map[string]bus.Topic
	// lastTopicCreate is the last topic.create request, for flag tests.
	lastTopicCreate bus.TopicCreateRequest
}

// Start starts a fake SC with no SPUs and no topics.
func Start(t testing.TB) *SC {
	t.Helper()
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	f := &SC{addr: ns.Addr(), spus: map[int32]bus.SPU{}, topics: map[string]bus.Topic{}}
	svc, err := micro.AddService(nc, micro.Config{Name: bus.ServiceName, Version: "0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	ctx := context.Background()
	add := func(name, subject string, h micro.Handler) {
		if err := svc.AddEndpoint(name, h, micro.WithEndpointSubject(subject)); err != nil {
			t.Fatal(err)
		}
	}
	add("spu-list", bus.SubjectAdminSPUList, bus.Micro(ctx, f.spuList))
	add("spu-register", bus.SubjectAdminSPURegister, bus.Micro(ctx, f.spuRegister))
	add("spu-unregister", bus.SubjectAdminSPUUnregister, bus.Micro(ctx, f.spuUnregister))
	add("topic-create", bus.SubjectAdminTopicCreate, bus.Micro(ctx, f.topicCreate))
	add("topic-delete", bus.SubjectAdminTopicDelete, bus.Micro(ctx, f.topicDelete))
	add("topic-list", bus.SubjectAdminTopicList, bus.Micro(ctx, f.topicList))
	add("partition-list", bus.SubjectAdminPartitionList, bus.Micro(ctx, f.partitionList))
	add("version-get", bus.SubjectAdminVersionGet, bus.Micro(ctx, f.version))
	add("metadata-get", bus.SubjectAdminMetadataGet, bus.Micro(ctx, f.metadata))
	if err := nc.Flush(); err != nil { // the server knows every endpoint before the test sends
		t.Fatal(err)
	}
	return f
}

// Addr is the HOST:PORT of the fake SC's NATS.
func (f *SC) Addr() string { return f.addr }

// LastTopicCreate is the last topic.create request (for flag tests).
func (f *SC) LastTopicCreate() bus.TopicCreateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastTopicCreate
}

// SetOnline marks SPU id online or offline, as heartbeats would.
func (f *SC) SetOnline(id int32, online bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.spus[id]
	s.Status.Resolution = bus.SPUOffline
	if online {
		s.Status.Resolution = bus.SPUOnline
	}
	f.spus[id] = s
}

func (f *SC) spuList(_ context.Context, _ string, req bus.SPUListRequest) (bus.SPUListResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := bus.SPUListResponse{Items: []bus.SPU{}}
	for _, s := range f.spus {
		if req.CustomOnly && s.Spec.Type != bus.SPUTypeCustom {
			continue
		}
		resp.Items = append(resp.Items, s)
	}
	slices.SortFunc(resp.Items, func(a, b bus.SPU) int { return int(a.Spec.ID - b.Spec.ID) })
	return resp, nil
}

func (f *SC) spuRegister(_ context.Context, _ string, req bus.SPURegisterRequest) (bus.SPURegisterResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := int32(req.ID)
	if _, ok := f.spus[id]; ok {
		return bus.SPURegisterResponse{}, bus.ErrSPUExists.Withf("SPU %d already exists", id)
	}
	typ := bus.SPUTypeCustom
	name := fmt.Sprintf("custom-spu-%d", id)
	if req.SPUType == bus.SPUTypeManaged {
		typ, name = bus.SPUTypeManaged, fmt.Sprintf("spu-%d", id)
	}
	if req.Name != "" {
		name = req.Name
	}
	for _, s := range f.spus {
		if s.Name == name {
			return bus.SPURegisterResponse{}, bus.ErrSPUExists.Withf("SPU named %q already exists", name)
		}
	}
	s := bus.SPU{Name: name, Spec: bus.SPUSpec{ID: id, Type: typ, PublicEndpoint: req.PublicEndpoint, PrivateEndpoint: req.PrivateEndpoint},
		Status: bus.SPUStatus{Resolution: bus.SPUOffline}}
	if req.Rack != "" {
		r := req.Rack
		s.Spec.Rack = &r
	}
	f.spus[id] = s
	return bus.SPURegisterResponse{SPU: s}, nil
}

func (f *SC) spuUnregister(_ context.Context, _ string, req bus.SPUUnregisterRequest) (bus.SPUUnregisterResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.spus {
		if (req.ID != nil && int64(id) == *req.ID) || (req.Name != "" && s.Name == req.Name) {
			delete(f.spus, id)
			return bus.SPUUnregisterResponse{SPU: s}, nil
		}
	}
	return bus.SPUUnregisterResponse{}, bus.ErrSPUNotFound.Withf("SPU not found")
}

func (f *SC) topicCreate(_ context.Context, _ string, req bus.TopicCreateRequest) (bus.TopicCreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastTopicCreate = req
	if _, ok := f.topics[req.Name]; ok {
		return bus.TopicCreateResponse{}, bus.ErrTopicExists
	}
	if int(req.Spec.ReplicationFactor) > len(f.spus) {
		return bus.TopicCreateResponse{}, bus.ErrNotEnoughSPUs.Withf("replication %d needs %d more SPU(s)", req.Spec.ReplicationFactor, int(req.Spec.ReplicationFactor)-len(f.spus))
	}
	ids := make([]int32, 0, len(f.spus))
	for id := range f.spus {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tp := bus.Topic{Name: req.Name, Spec: req.Spec, Status: bus.TopicStatus{Resolution: bus.TopicProvisioned, ReplicaMap: map[int32][]bus.SPUID{}}}
	for p := range req.Spec.Partitions {
		var r []int32
		for i := range req.Spec.ReplicationFactor {
			r = append(r, ids[(int(p)+int(i))%len(ids)])
		}
		tp.Status.ReplicaMap[p] = r
	}
	if !req.DryRun {
		f.topics[req.Name] = tp
	}
	return bus.TopicCreateResponse{Topic: tp}, nil
}

func (f *SC) topicDelete(_ context.Context, _ string, req bus.TopicDeleteRequest) (bus.TopicDeleteResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.topics[req.Name]; !ok {
		return bus.TopicDeleteResponse{}, bus.ErrTopicNotFound.Withf("topic %q not found", req.Name)
	}
	delete(f.topics, req.Name)
	return bus.TopicDeleteResponse{Name: req.Name}, nil
}

func (f *SC) topicList(_ context.Context, _ string, req bus.TopicListRequest) (bus.TopicListResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := bus.TopicListResponse{Items: []bus.Topic{}}
	for _, n := range req.Names {
		if _, ok := f.topics[n]; !ok {
			return resp, bus.ErrTopicNotFound.Withf("topic %q not found", n)
		}
	}
	for n, tp := range f.topics {
		if len(req.Names) == 0 || slices.Contains(req.Names, n) {
			resp.Items = append(resp.Items, tp)
		}
	}
	slices.SortFunc(resp.Items, func(a, b bus.Topic) int { return cmpString(a.Name, b.Name) })
	return resp, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *SC) partitionList(_ context.Context, _ string, req bus.PartitionListRequest) (bus.PartitionListResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := bus.PartitionListResponse{Items: []bus.Partition{}}
	names := make([]string, 0, len(f.topics))
	for n := range f.topics {
		if len(req.Topics) == 0 || slices.Contains(req.Topics, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		tp := f.topics[n]
		for p := range tp.Spec.Partitions {
			r := tp.Status.ReplicaMap[p]
			resp.Items = append(resp.Items, bus.Partition{
				Name:   fmt.Sprintf("%s-%d", n, p),
				Spec:   bus.PartitionSpec{Topic: n, Partition: p, Leader: r[0], Replicas: r},
				Status: bus.PartitionStatus{Resolution: bus.PartitionOnline, ISR: r, HW: 3, LEO: 5, Size: 2048},
			})
		}
	}
	return resp, nil
}

func (f *SC) version(context.Context, string, bus.VersionRequest) (bus.VersionResponse, error) {
	return bus.VersionResponse{Version: "9.9.9-fake", Commit: "abc123", NATS: "2.x-fake"}, nil
}

// metadata answers metadata.get: topic not found for an unknown topic,
// else the partitions (no SPU serves them: the fake has no data plane).
func (f *SC) metadata(_ context.Context, _ string, req bus.MetadataRequest) (bus.MetadataResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := bus.MetadataResponse{SPUs: []bus.SPUEndpoint{}, Partitions: []bus.PartitionMetadata{}}
	for _, n := range req.Topics {
		tp, ok := f.topics[n]
		if !ok {
			return resp, bus.ErrTopicNotFound.Withf("topic %q not found", n)
		}
		for p := range tp.Spec.Partitions {
			r := tp.Status.ReplicaMap[p]
			resp.Partitions = append(resp.Partitions, bus.PartitionMetadata{
				PartitionID: bus.PartitionID{Topic: n, Partition: p}, Leader: r[0], Replicas: r, ISR: r})
		}
	}
	for _, s := range f.spus {
		resp.SPUs = append(resp.SPUs, bus.SPUEndpoint{ID: s.Spec.ID, Public: s.Spec.PublicEndpoint, Online: s.Online()})
	}
	return resp, nil
}
