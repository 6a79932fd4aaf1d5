package spu

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/bindcheck"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/fluvio-go/fluvio/internal/version"
)

// register says hello on fluvio.spu.<id>.register. An unregistered id
// fails at once with the command to register it; an SC that does not
// answer yet (NATS up, SC starting) is retried for RegisterTimeout.
func (s *Server) register(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RegisterTimeout)
	defer cancel()
	hello := bus.SPUHello{ID: s.id, Incarnation: s.incarnation, StorageID: s.storageID, Version: version.String()}
	backoff := 100 * time.Millisecond
	for {
		rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := bus.Request[bus.SPUHelloResponse](rctx, s.nc, bus.SubjectSPURegister(s.id), hello)
		rcancel()
		if err == nil {
			s.hello, s.spec, s.name = resp, resp.Spec, resp.Name
			return nil
		}
		if errors.Is(err, bus.ErrSPUNotRegistered) {
			return fmt.Errorf("spu: SPU %d is not registered with the SC at %s; register it first: fluvio custom-spu register --id %d --public-server HOST:PORT --private-server HOST:PORT",
				s.id, natsurl.Redact(s.cfg.SCAddr), s.id)
		}
		// A conflict clears once a crashed predecessor with our id misses
		// its heartbeats, so a quick restart waits for it.
		retriable := errors.Is(err, bus.ErrUnavailable) || errors.Is(err, bus.ErrTimeout) || errors.Is(err, bus.ErrSPUConflict)
		if !retriable || ctx.Err() != nil {
			return fmt.Errorf("spu: register with the SC at %s: %w", natsurl.Redact(s.cfg.SCAddr), err)
		}
		conflict := errors.Is(err, bus.ErrSPUConflict)
		if conflict {
			s.log.Warn("another spu-server with this id is connected; waiting for it to go away", "err", err)
		} else {
			s.log.Warn("the SC does not answer yet; retrying", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
			if conflict {
				return fmt.Errorf("spu: %w", err)
			}
			return fmt.Errorf("spu: register with the SC at %s: %w; is sc-server running? start a local cluster with 'fluvio cluster start'", natsurl.Redact(s.cfg.SCAddr), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// bind opens the public and private listeners: injected ones, or the
// --public-server/--private-server flags, or the registered addresses.
func (s *Server) bind() error {
	// Loopback unless --insecure (no TLS on the data plane yet).
	var ls []bindcheck.Listener
	for _, l := range []struct {
		given            net.Listener
		flag, reg, which string
	}{
		{s.cfg.PublicListener, s.cfg.PublicAddr, s.spec.PublicEndpoint, "public"},
		{s.cfg.PrivateListener, s.cfg.PrivateAddr, s.spec.PrivateEndpoint, "private"},
	} {
		if l.given != nil {
			continue
		}
		addr := cmp.Or(l.flag, l.reg)
		ls = append(ls, bindcheck.Listener{Flag: "--" + l.which + "-server", Addr: addr,
			Auth: s.cfg.Creds != "" || s.cfg.TLS.CA != "", TLS: s.cfg.TLS.Cert != ""})
	}
	if err := bindcheck.Check(fmt.Sprintf("spu %d", s.id), ls, s.cfg.Insecure, s.log); err != nil {
		return err
	}
	var err error
	if s.pub, err = listen(s.cfg.PublicListener, s.cfg.PublicAddr, s.spec.PublicEndpoint, "public", s.id); err != nil {
		return err
	}
	if s.priv, err = listen(s.cfg.PrivateListener, s.cfg.PrivateAddr, s.spec.PrivateEndpoint, "private", s.id); err != nil {
		_ = s.pub.Close()
		s.pub = nil
		return err
	}
	return nil
}

func listen(given net.Listener, flagAddr, registered, which string, id bus.SPUID) (net.Listener, error) {
	if given != nil {
		return given, nil
	}
	addr, from := flagAddr, "--"+which+"-server"
	if addr == "" {
		addr, from = registered, fmt.Sprintf("the %s address registered for SPU %d", which, id)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("spu: cannot listen on %s (%s): %w; pass --%s-server HOST:PORT to bind another address",
			addr, from, err, which)
	}
	return l, nil
}
