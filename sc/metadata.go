package sc

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/nats-io/nats-server/v2/server"
)

// handleMetadata tells clients where partitions live: every SPU's public
// address and liveness, and the leader of each partition of req.Topics
// (all users' topics when empty; a system topic only by name). An unknown topic is ErrTopicNotFound.
func (s *Server) handleMetadata(_ context.Context, _ string, req bus.MetadataRequest) (bus.MetadataResponse, error) {
	resp := bus.MetadataResponse{SPUs: []bus.SPUEndpoint{}, Partitions: []bus.PartitionMetadata{}}
	s.catchUp(req.Topics)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, id := range s.st.sortedSPUs() {
		e := s.st.spus[id]
		resp.SPUs = append(resp.SPUs, bus.SPUEndpoint{ID: id, Public: e.rec.Spec.PublicEndpoint, Online: e.online})
	}
	names := req.Topics
	if len(names) == 0 {
		names = s.st.sortedTopicsOf(false) // system topics only by name
	}
	for _, n := range names {
		t, ok := s.st.topics[n]
		if !ok {
			return resp, topicNotFound(n)
		}
		for i, p := range t.rec.Partitions {
			resp.Partitions = append(resp.Partitions, bus.PartitionMetadata{
				PartitionID: bus.PartitionID{Topic: n, Partition: int32(i)},
				Leader:      p.Leader, Replicas: slices.Clone(p.Replicas), ISR: slices.Clone(p.ISR),
				LeaderEpoch: p.LeaderEpoch, TopicID: t.rec.topicID(), System: t.rec.Spec.System,
			})
		}
	}
	return resp, nil
}

// handleVersion reports the SC's build.
func (s *Server) handleVersion(_ context.Context, _ string, _ bus.VersionRequest) (bus.VersionResponse, error) {
	v := bus.VersionResponse{
		Version:   version.Version,
		Commit:    version.Commit,
		GoVersion: runtime.Version(),
		Platform:  fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
	if s.ns != nil {
		v.NATS = server.VERSION
	} else if info := s.nc.ConnectedServerVersion(); info != "" {
		v.NATS = info
	}
	return v, nil
}
