package bench

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

// Process figures from Linux /proc. pid "self" is the generator.

// rssKB returns a process's resident set size (VmRSS) in KiB.
func rssKB(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest) // "123456 kB"
			if len(f) == 2 {
				return strconv.ParseInt(string(f[0]), 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%s/status", pid)
}

// cpuTime returns the user plus system CPU time a process has used.
func cpuTime(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may contain spaces; fields are
	// counted after its closing parenthesis. utime and stime are fields 14
	// and 15 of the whole line, 12 and 13 after the name.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%s/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%s/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	// /proc counts in USER_HZ, which Linux fixes at 100 for user space.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// cpuMeter measures the share of one core a process used over a window.
type cpuMeter struct {
	pid   string
	start time.Time
	cpu0  time.Duration
	err   error
}

func startCPU(pid string) *cpuMeter {
	c, err := cpuTime(pid)
	return &cpuMeter{pid: pid, start: time.Now(), cpu0: c, err: err}
}

// percent returns the CPU used since start as a percentage of one core, or
// NaN when it cannot be read (no such process, no /proc).
func (m *cpuMeter) percent() float64 {
	c, err := cpuTime(m.pid)
	if m.err != nil || err != nil {
		return math.NaN()
	}
	return 100 * (c - m.cpu0).Seconds() / time.Since(m.start).Seconds()
}
