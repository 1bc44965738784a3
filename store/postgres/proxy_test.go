package postgres

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// proxy forwards TCP connections on loopback to a server, and can cut
// them (as a crash or a reset would), stall them (as a network that drops
// packets would) and let them through again.
type proxy struct {
	t      testing.TB
	target string
	addr   string

	mu      sync.Mutex
	ln      net.Listener
	conns   map[net.Conn]struct{}
	open    chan struct{} // closed while traffic flows; replaced by stall
	stalled bool
	wg      sync.WaitGroup
}

func startProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &proxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}, open: make(chan struct{})}
	close(px.open)
	px.serve(ln)
	t.Cleanup(func() {
		px.cut()
		px.wg.Wait()
	})
	return px
}

func (px *proxy) serve(ln net.Listener) {
	px.ln = ln
	px.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			px.wg.Go(func() { px.forward(c) })
		}
	})
}

func (px *proxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", px.target)
	if err != nil {
		client.Close()
		return
	}
	px.mu.Lock()
	if px.ln == nil { // cut meanwhile
		px.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	px.conns[client], px.conns[server] = struct{}{}, struct{}{}
	px.mu.Unlock()

	done := make(chan struct{})
	var once sync.Once
	end := func() {
		once.Do(func() {
			close(done)
			client.Close()
			server.Close()
			px.mu.Lock()
			delete(px.conns, client)
			delete(px.conns, server)
			px.mu.Unlock()
		})
	}
	pipe := func(dst, src net.Conn) {
		defer end()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				// Hold the bytes while stalled; give up when the pair ends.
				select {
				case <-px.gate():
				case <-done:
					return
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil { // io.EOF included: the pair ends with either side
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { pipe(server, client) })
	wg.Go(func() { pipe(client, server) })
	wg.Wait()
}

func (px *proxy) gate() <-chan struct{} {
	px.mu.Lock()
	defer px.mu.Unlock()
	return px.open
}

// cut closes the listener and every connection: the server is gone.
func (px *proxy) cut() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.ln != nil {
		px.ln.Close()
		px.ln = nil
	}
	for c := range px.conns {
		c.Close()
	}
}

// stall keeps every connection, new ones included, open but silent.
func (px *proxy) stall() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if !px.stalled {
		px.stalled = true
		px.open = make(chan struct{})
	}
}

// resume lets traffic through again, listening again on the same address
// after a cut.
func (px *proxy) resume() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.stalled {
		px.stalled = false
		close(px.open)
	}
	if px.ln == nil {
		ln, err := net.Listen("tcp", px.addr)
		if err != nil {
			px.t.Fatalf("proxy: listen again on %s: %v", px.addr, err)
		}
		px.serve(ln)
	}
}

// hostPort returns the host:port of the server that url names.
func hostPort(t testing.TB, u string) string {
	cfg, err := pgconn.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(cfg.Host, "/") {
		t.Skip("the server is reached through a Unix socket: no TCP to cut")
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// closedPort returns an address of loopback where nothing listens.
func closedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
