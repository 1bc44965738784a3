package realtime

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// WebSocket writes bypass gws: a sweep writes the same frame, encoded once
// with its WebSocket header, straight to every socket that can take it
// without blocking, on the sweeper's own goroutine. Only a socket whose
// buffer is full gets a goroutine, to finish its write with a deadline.
// On this class of machine a write costs ~10 µs of kernel time; a
// goroutine and a per-connection copy per write more than doubled that
// (docs/benchmarks.md). gws still does the handshake and the reading.

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// wsFrame encodes one unfragmented, unmasked server frame.
func wsFrame(opcode byte, payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n < 1<<16:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = 0x80 | opcode
	return append(b, payload...)
}

// outbox writes a connection's frames in order.
type outbox struct {
	conn net.Conn
	raw  syscall.RawConn
	// timeout bounds a write that had to wait for the socket.
	timeout time.Duration

	mu     sync.Mutex
	queue  []outgoing
	active bool // someone is writing; they also write what is queued
	closed bool
}

type outgoing struct {
	b    []byte
	done func(ok bool) // may be nil
}

func newOutbox(conn net.Conn, timeout time.Duration) *outbox {
	o := &outbox{conn: conn, timeout: timeout}
	if sc, ok := conn.(syscall.Conn); ok {
		o.raw, _ = sc.SyscallConn()
	}
	return o
}

// send queues b and writes it now if the socket takes it without waiting.
// done is called once b is written (ok) or can no longer be (!ok).
func (o *outbox) send(b []byte, done func(ok bool)) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		if done != nil {
			done(false)
		}
		return
	}
	o.queue = append(o.queue, outgoing{b, done})
	if o.active {
		o.mu.Unlock() // the writer at work takes it in order
		return
	}
	o.active = true
	o.mu.Unlock()
	o.flush(false)
}

// flush writes the queue until it is empty. Without wait it never blocks:
// what the socket does not take is finished on a goroutine.
func (o *outbox) flush(wait bool) {
	for {
		o.mu.Lock()
		items := o.queue
		o.queue = nil
		if len(items) == 0 || o.closed {
			o.active = false
			o.mu.Unlock()
			finish(items, false)
			return
		}
		o.mu.Unlock()
		b := items[0].b
		if len(items) > 1 {
			b = nil
			for _, it := range items {
				b = append(b, it.b...)
			}
		}
		n, err := 0, error(nil)
		if !wait && o.raw != nil {
			n, err = o.tryWrite(b)
		}
		if err == nil && n < len(b) {
			if !wait {
				rest := b[n:]
				go func() {
					ok := o.writeAll(rest)
					finish(items, ok)
					if ok {
						o.flush(true)
					} else {
						o.fail()
					}
				}()
				return
			}
			if !o.writeAll(b) {
				err = errWriteFailed
			}
		}
		if err != nil {
			finish(items, false)
			o.fail()
			return
		}
		finish(items, true)
	}
}

var errWriteFailed = errors.New("write failed")

// tryWrite writes what the socket buffer takes now, without waiting.
func (o *outbox) tryWrite(b []byte) (int, error) {
	var n int
	var werr error
	err := o.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // never wait here
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(werr, syscall.EAGAIN) || errors.Is(werr, syscall.EINTR) {
		werr = nil
	}
	if err != nil {
		return n, err
	}
	return n, werr
}

// writeAll waits for the socket, at most the timeout.
func (o *outbox) writeAll(b []byte) bool {
	_ = o.conn.SetWriteDeadline(time.Now().Add(o.timeout))
	_, err := o.conn.Write(b)
	return err == nil
}

// fail closes the connection after a failed write; the reader then ends.
func (o *outbox) fail() {
	o.mu.Lock()
	o.closed = true
	items := o.queue
	o.queue = nil
	o.active = false
	o.mu.Unlock()
	finish(items, false)
	_ = o.conn.Close()
}

// close drops what is queued; later sends fail at once.
func (o *outbox) close() { o.fail() }

func finish(items []outgoing, ok bool) {
	for _, it := range items {
		if it.done != nil {
			it.done(ok)
		}
	}
}
