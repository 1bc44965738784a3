package main

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/koehq/koe/act"
)

func ipNet(s string) net.Addr {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

// TestLANURLs: the join URLs are the LAN addresses of the interfaces, IPv4
// first, without loopback or link-local ones; a listener bound to one
// address has that one only.
func TestLANURLs(t *testing.T) {
	ifaces := []net.Addr{
		ipNet("127.0.0.1/8"),
		ipNet("::1/128"),
		ipNet("fe80::1c2a:3bff:fe4d:5e6f/64"),
		ipNet("2001:db8::20/64"),
		ipNet("169.254.10.3/16"),
		ipNet("192.168.1.20/24"),
		ipNet("10.0.0.5/8"),
		&net.IPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0"},
		ipNet("192.168.1.20/24"), // the same address on another interface
	}
	for _, c := range []struct {
		listen string
		want   []string
	}{
		{"[::]:8080", []string{"http://192.168.1.20:8080", "http://10.0.0.5:8080", "http://[2001:db8::20]:8080"}},
		{"0.0.0.0:8080", []string{"http://192.168.1.20:8080", "http://10.0.0.5:8080"}},
		{"10.0.0.5:9000", []string{"http://10.0.0.5:9000"}},
		{"127.0.0.1:8080", []string{}},
		{"[::1]:8080", []string{}},
	} {
		addr, err := net.ResolveTCPAddr("tcp", c.listen)
		if err != nil {
			t.Fatal(err)
		}
		if got := lanURLs(addr, ifaces); !slices.Equal(got, c.want) {
			t.Errorf("listening on %s: %q, want %q", c.listen, got, c.want)
		}
	}
	// A machine with loopback only (a laptop off the network).
	wild, _ := net.ResolveTCPAddr("tcp", "[::]:8080")
	if got := lanURLs(wild, ifaces[:3]); len(got) != 0 {
		t.Errorf("loopback and link-local only: %q, want none", got)
	}
}

// TestJoinBase: KOE_PUBLIC_URL first, then the best LAN URL, then the
// loopback address, marked so the screen warns.
func TestJoinBase(t *testing.T) {
	lan := []string{"http://192.168.1.20:8080", "http://10.0.0.5:8080"}
	for _, c := range []struct {
		public string
		lan    []string
		want   act.JoinBase
	}{
		{"https://qa.example.org/", lan, act.JoinBase{URL: "https://qa.example.org"}},
		{"http://localhost:8080", lan, act.JoinBase{URL: "http://localhost:8080", Loopback: true}},
		{"http://127.0.0.2:8080", nil, act.JoinBase{URL: "http://127.0.0.2:8080", Loopback: true}},
		{"", lan, act.JoinBase{URL: "http://192.168.1.20:8080"}},
		{"", nil, act.JoinBase{URL: "http://localhost:8080", Loopback: true}},
	} {
		if got := joinBase(c.public, c.lan, "http://localhost:8080"); got != c.want {
			t.Errorf("joinBase(%q, %q) = %+v, want %+v", c.public, c.lan, got, c.want)
		}
	}
}

// TestPrintJoinURLs: the terminal lists every LAN join URL, and warns when
// phones cannot reach the one on the screen.
func TestPrintJoinURLs(t *testing.T) {
	var b strings.Builder
	lan := []string{"http://192.168.1.20:8080", "http://10.0.0.5:8080"}
	printJoinURLs(&b, "", lan, joinBase("", lan, "http://localhost:8080"))
	for _, u := range lan {
		if !strings.Contains(b.String(), u+"/j/") {
			t.Errorf("no %s in %q", u, b.String())
		}
	}
	if strings.Contains(b.String(), "Warning") {
		t.Errorf("a warning with LAN addresses: %q", b.String())
	}
	b.Reset()
	printJoinURLs(&b, "", nil, joinBase("", nil, "http://localhost:8080"))
	if !strings.Contains(b.String(), "Warning") || !strings.Contains(b.String(), "KOE_PUBLIC_URL") {
		t.Errorf("no warning for loopback only: %q", b.String())
	}
}
