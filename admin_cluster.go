package fluvio

import (
	"context"
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// SCVersion is what the SC says about itself.
type SCVersion struct {
	// Version and Commit of the sc-server build.
	Version string
	Commit  string
	// GoVersion and Platform the SC was built with and runs on.
	GoVersion string
	Platform  string
	// NATS is the version of the NATS server the SC uses ("" when the SC
	// does not know it).
	NATS string
}

// SCVersion asks the SC for its version. It is the cheapest admin call:
// use it to check that an SC answers.
func (c *Client) SCVersion(ctx context.Context) (SCVersion, error) {
	resp, err := request[bus.VersionResponse](ctx, c, bus.SubjectAdminVersionGet, bus.VersionRequest{})
	if err != nil {
		return SCVersion{}, fmt.Errorf("SC version: %w", err)
	}
	return SCVersion{Version: resp.Version, Commit: resp.Commit, GoVersion: resp.GoVersion, Platform: resp.Platform, NATS: resp.NATS}, nil
}

// Metadata asks the SC where the partitions of the named topics live
// (every topic when topics is empty): leaders, replicas, ISR, and the
// public address of each SPU. Producers and consumers keep their own
// cache of it; this call always asks.
func (c *Client) Metadata(ctx context.Context, topics ...string) (Metadata, error) {
	resp, err := request[bus.MetadataResponse](ctx, c, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: topics})
	if err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	return resp, nil
}

// NATSServerVersion is the version of the NATS server the client is
// connected to.
func (c *Client) NATSServerVersion() string { return c.nc.ConnectedServerVersion() }

// NATSServerURL is the URL of the NATS server the client is connected to,
// with any password redacted.
func (c *Client) NATSServerURL() string { return c.nc.ConnectedUrlRedacted() }

// CheckMetadataStore checks the SC's metadata store, the JetStream
// key-value bucket (the SC's --kv-bucket), and returns how many values it
// holds. A missing bucket or JetStream disabled on the NATS server is an
// error saying which.
func (c *Client) CheckMetadataStore(ctx context.Context, bucket string) (values uint64, err error) {
	if err := c.checkOpen(); err != nil {
		return 0, err
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		return 0, fmt.Errorf("connection failed: %w", err)
	}
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return 0, fmt.Errorf("bucket %v not found", bucket)
	}
	if err != nil {
		return 0, fmt.Errorf("could not load bucket: %w", err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("could not obtain bucket status: %w", err)
	}
	return st.Values(), nil
}
