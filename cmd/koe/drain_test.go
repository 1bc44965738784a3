package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

type closeRecorder struct {
	gws.BuiltinEventHandler
	closed chan error
}

func (c *closeRecorder) OnClose(_ *gws.Conn, err error) { c.closed <- err }

// TestSIGTERMDrains: on SIGTERM koe tells real-time clients to go away
// (WebSocket close 1001, SSE stream ended) and exits cleanly.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs koe serve")
	}
	bin := buildKoe(t)
	srv := startServer(t, bin, t.TempDir(), freeAddr(t))
	ctx := context.Background()
	var event struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	must(t)(call(ctx, "POST", srv.base+"/api/v1/events", testOwnerToken, map[string]string{"title": "Drain"}, &event))
	var j struct{ Token string }
	must(t)(call(ctx, "POST", srv.base+"/api/v1/join", "", map[string]string{"code": event.JoinCode}, &j))

	rec := &closeRecorder{closed: make(chan error, 1)}
	hdr := http.Header{"Authorization": {"Bearer " + j.Token}}
	ws, _, err := gws.NewClient(rec, &gws.ClientOption{
		Addr:          fmt.Sprintf("ws%s/api/v1/events/%d/live", strings.TrimPrefix(srv.base, "http"), event.ID),
		RequestHeader: hdr,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ws.ReadLoop()

	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/events/%d/sse?topic=event", srv.base, event.ID), nil)
	req.Header = hdr
	sse, err := http.DefaultClient.Do(req)
	if err != nil || sse.StatusCode != 200 {
		t.Fatalf("sse: %v %v", err, sse)
	}
	sseDone := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := sse.Body.Read(buf); err != nil {
				close(sseDone)
				return
			}
		}
	}()

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-rec.closed:
		if err == nil || !strings.Contains(err.Error(), "1001") {
			t.Fatalf("WebSocket closed with %v, want going away (1001)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WebSocket not closed on SIGTERM")
	}
	select {
	case <-sseDone:
	case <-time.After(10 * time.Second):
		t.Fatal("SSE stream not ended on SIGTERM")
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("koe serve exited with %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("koe serve did not exit after SIGTERM")
	}
}
