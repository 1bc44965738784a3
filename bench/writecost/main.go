// Command writecost measures what one small TCP write to one of many
// loopback connections costs on this machine: the floor under koe's
// fan-out (each subscriber costs one write per sweep). It is a separate
// process pair, like the real benchmark: `writecost server N SIZE` on one
// core, `writecost client N` on the other (bench/run.sh runs both).
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

const addr = "127.0.0.1:19555"

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: writecost server N SIZE | writecost client N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 || n > 100000 {
		fmt.Fprintln(os.Stderr, "writecost: N must be 1-100000")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "server":
		size := 2048
		if len(os.Args) > 3 {
			size, _ = strconv.Atoi(os.Args[3])
		}
		serve(n, size)
	case "client":
		connect(n)
	}
}

// serve accepts n connections, then writes size bytes to each of them in
// turn, five rounds, and prints the best round's cost per write.
func serve(n, size int) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "writecost:", err)
		os.Exit(1)
	}
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(60 * time.Second))
	conns := make([]net.Conn, 0, n)
	for len(conns) < n {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "writecost:", err)
			os.Exit(1)
		}
		conns = append(conns, c)
	}
	buf := make([]byte, size)
	best := time.Duration(1 << 62)
	for round := 0; round < 5; round++ {
		start := time.Now()
		for _, c := range conns {
			_, _ = c.Write(buf)
		}
		best = min(best, time.Since(start))
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Printf("write_cost_us=%.1f\n", float64(best.Nanoseconds())/1000/float64(n))
	fmt.Printf("# writecost: %d loopback connections, %d-byte writes, best of 5 rounds\n", n, size)
}

// connect opens n connections and reads everything until the server is done.
func connect(n int) {
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "writecost:", err)
			os.Exit(1)
		}
		go func() { _, _ = io.Copy(io.Discard, c) }()
	}
	time.Sleep(8 * time.Second)
}
