package spu

import (
	"context"
	"fmt"

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

// serve answers one request (Handle, metrics_handler.go, calls it): it runs
// on the connection's reader goroutine, in request order.
func (h *handler) serve(ctx context.Context, req wire.Request) wire.Reply {
	if h.private {
		if r, ok := req.(*wire.SPUAuthRequest); ok {
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
		replicaID := int32(-1)
		switch r := req.(type) {
		case *wire.FetchRequest:
			replicaID = r.ReplicaID
		case *wire.EpochEndOffsetRequest:
			replicaID = r.ReplicaID
		}
		if err := h.d.auth.checkPeer(ctx, replicaID); err != nil {
			return wire.RespondErr(err)
		}
	} else {
		if r, ok := req.(*wire.ClientAuthRequest); ok {
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
		if err := h.d.clients.check(ctx, req); err != nil {
			return wire.RespondErr(err)
		}
	}
	switch r := req.(type) {
	case *wire.ProduceRequest:
		return h.d.produce(ctx, r)
	case *wire.FetchRequest:
		if r.ReplicaID >= 0 && !h.private {
			return wire.RespondErr(wire.InvalidRequest.ErrMsg(fmt.Sprintf(
				"replica %d fetched on the public server; followers fetch from the private server", r.ReplicaID)))
		}
		return h.d.serveFetch(r)
	case *wire.ListOffsetsRequest:
		return h.d.listOffsets(r)
	case *wire.EpochEndOffsetRequest:
		return h.d.epochEndOffset(r)
	}
	return wire.RespondErr(wire.UnknownAPIKey.ErrMsg(fmt.Sprintf("%s is not served here", req.APIKey())))
}

// unknownPartition is the error for a partition this SPU holds no replica of.
func (d *dataPlane) unknownPartition(topic string, p int32) error {
	return wire.UnknownTopicOrPartition.ErrMsg(fmt.Sprintf(
		"SPU %d holds no replica of %s-%d; check 'fluvio partition list' and refresh metadata", d.self, topic, p))
}
