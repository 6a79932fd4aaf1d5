package proc

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Get fetches http://addr+path and returns the body; any status but 200 is
// an error.
func Get(ctx context.Context, addr, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, fmt.Errorf("proc: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("proc: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("proc: GET %s%s: %w", addr, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("proc: GET %s%s: %s", addr, path, resp.Status)
	}
	return body, nil
}

// GC runs a garbage collection in the Go process serving its profiles at
// addr (net/http/pprof: heap?gc=1 collects before it writes the profile).
func GC(ctx context.Context, addr string) error {
	_, err := Get(ctx, addr, "/debug/pprof/heap?gc=1")
	return err
}
