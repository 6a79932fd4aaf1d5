package spu

import (
	"context"
	"fmt"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/wire"
)

// handler serves the wire APIs for one of the SPU's two servers. The
// public server takes produce, consumer fetches and list offsets; the
// private server takes followers' fetches and epoch queries.
type handler struct {
	d       *dataPlane
	private bool
}

// Handle implements wire.Handler: it runs on the connection's reader
// goroutine, in request order, and hands each request to the data plane
// (produce.go, fetch.go, listoffsets.go, epoch.go). Produce and fetch
// record their answers in the metrics (with --http) as the writer
// resolves them; a request refused here is counted as refused.
func (h *handler) Handle(ctx context.Context, req wire.Request) wire.Reply {
	if h.private {
		if r, ok := req.(*wire.SPUAuthRequest); ok {
			return h.authenticate(ctx, r)
		}
		replicaID := int32(-1)
		switch r := req.(type) {
		case *wire.FetchRequest:
			replicaID = r.ReplicaID
		case *wire.EpochEndOffsetRequest:
			replicaID = r.ReplicaID
		case *wire.FollowerProgressRequest:
			replicaID = r.ReplicaID
		}
		if err := h.d.auth.checkPeer(ctx, replicaID); err != nil {
			return h.refuse(req, err)
		}
	} else {
		if r, ok := req.(*wire.ClientAuthRequest); ok {
			return h.authenticateClient(ctx, r)
		}
		if err := h.d.clients.check(ctx, req); err != nil {
			return h.refuse(req, err)
		}
	}
	switch r := req.(type) {
	case *wire.ProduceRequest:
		return h.d.produce(ctx, r)
	case *wire.MultiProduceRequest:
		return h.d.multiProduce(ctx, r)
	case *wire.FetchRequest:
		if r.ReplicaID >= 0 && !h.private {
			return h.refuse(req, wire.InvalidRequest.ErrMsg(fmt.Sprintf(
				"replica %d fetched on the public server; followers fetch from the private server", r.ReplicaID)))
		}
		return h.d.serveFetch(r)
	case *wire.ListOffsetsRequest:
		return h.d.listOffsets(r)
	case *wire.EpochEndOffsetRequest:
		return h.d.epochEndOffset(r)
	case *wire.OffsetCommitRequest:
		return h.d.offsetCommit(ctx, r)
	case *wire.OffsetFetchRequest:
		return h.d.offsetFetch(ctx, r)
	case *wire.OffsetDeleteRequest:
		return h.d.offsetDelete(ctx, r)
	case *wire.FollowerProgressRequest:
		if !h.private {
			return wire.RespondErr(wire.InvalidRequest.ErrMsg(fmt.Sprintf(
				"replica %d reported progress on the public server; followers use the private server", r.ReplicaID)))
		}
		return h.d.followerProgress(r)
	}
	return wire.RespondErr(wire.UnknownAPIKey.ErrMsg(fmt.Sprintf("%s is not served here", req.APIKey())))
}

// authenticate takes a peer SPU's proof of identity on the private server.
// With mutual TLS the proof must name the certificate's SPU.
func (h *handler) authenticate(ctx context.Context, r *wire.SPUAuthRequest) wire.Reply {
	err := h.d.auth.verify(r)
	st := wire.ConnStateOf(ctx)
	if err == nil && st != nil {
		if certID, ok, cerr := certPeer(st); cerr != nil {
			err = cerr
		} else if ok && certID != r.SPU {
			err = wire.SPUAuthFailed.ErrMsg(fmt.Sprintf("the proof is SPU %d's but the certificate is SPU %d's", r.SPU, certID))
		}
	}
	if err != nil {
		h.d.log.Warn("refused a proof of identity on the private server", "spu", r.SPU, "err", err)
		return wire.RespondErr(err)
	}
	if st != nil {
		st.SetPeer(r.SPU)
	}
	return wire.Respond(&wire.SPUAuthResponse{})
}

// authenticateClient takes a client's signed hello on the public server.
func (h *handler) authenticateClient(ctx context.Context, r *wire.ClientAuthRequest) wire.Reply {
	if !h.d.clients.required {
		return wire.Respond(&wire.ClientAuthResponse{Role: tlsconf.RoleClient}) // nothing to check
	}
	role, err := h.d.clients.verify(r)
	if err != nil {
		h.d.log.Warn("refused a client's hello on the public server", "key", r.PublicKey, "err", err)
		return wire.RespondErr(err)
	}
	if st := wire.ConnStateOf(ctx); st != nil {
		st.SetRole(role)
	}
	return wire.Respond(&wire.ClientAuthResponse{Role: role})
}

// refuse answers req with err before the data plane sees it, counting a
// refused produce or fetch in the metrics.
func (h *handler) refuse(req wire.Request, err error) wire.Reply {
	switch r := req.(type) {
	case *wire.ProduceRequest:
		h.d.cfg.metrics.produced(r.Topic, r.Partition, 0, 0, wire.CodeOf(err), 0)
	case *wire.MultiProduceRequest:
		for _, p := range r.Partitions {
			h.d.cfg.metrics.produced(p.Topic, p.Partition, 0, 0, wire.CodeOf(err), 0)
		}
	case *wire.FetchRequest:
		h.d.cfg.metrics.fetched(r, nil, err, 0)
	}
	return wire.RespondErr(err)
}

// unknownPartition is the error for a partition this SPU holds no replica of.
// A replica whose log did not open because of corruption is named as
// such, with the command that repairs it, rather than as unknown.
func (d *dataPlane) unknownPartition(topic string, p int32) error {
	d.mu.RLock()
	b, corrupt := d.broken[bus.PartitionID{Topic: topic, Partition: p}]
	d.mu.RUnlock()
	if corrupt {
		return wire.ReplicaCorrupt.ErrMsg(fmt.Sprintf(
			"SPU %d's replica of %s-%d is corrupt (%s) and serves nothing until repaired: with a healthy replica it repairs itself from the leader; with none, run 'fluvio partition repair %s -p %d' (a dry run first)",
			d.self, topic, p, b.where, topic, p))
	}
	return wire.UnknownTopicOrPartition.ErrMsg(fmt.Sprintf(
		"SPU %d holds no replica of %s-%d; check 'fluvio partition list' and refresh metadata", d.self, topic, p))
}
