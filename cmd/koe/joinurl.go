package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/koehq/koe/act"
)

// joinBase decides the base URL of join links (the presenter screen's QR
// code): KOE_PUBLIC_URL when set; otherwise the first of the LAN URLs
// (lanURLs: addresses phones on the venue network can reach); otherwise
// fallback (what koe is running at, on loopback), marked as loopback so
// that the screen warns that phones cannot reach it.
func joinBase(publicURL string, lan []string, fallback string) act.JoinBase {
	if publicURL != "" {
		u := strings.TrimRight(publicURL, "/")
		return act.JoinBase{URL: u, Loopback: loopbackURL(u)}
	}
	if len(lan) > 0 {
		return act.JoinBase{URL: lan[0]}
	}
	return act.JoinBase{URL: fallback, Loopback: true}
}

// lanURLs are the URLs koe listening on listen can be reached at from
// other machines, best first: one per address of ifaces (the machine's
// interface addresses, net.InterfaceAddrs) that is neither loopback,
// link-local, multicast nor unspecified; IPv4 before IPv6, each in the
// order given. A listener bound to one address is reached at that address
// only (none when it is loopback).
func lanURLs(listen net.Addr, ifaces []net.Addr) []string {
	host, port, err := net.SplitHostPort(listen.String())
	if err != nil {
		return nil
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
		ips = []netip.Addr{ip}
	} else {
		for _, a := range ifaces {
			if ip, ok := addrIP(a); ok {
				ips = append(ips, ip)
			}
		}
	}
	ips = slices.DeleteFunc(ips, func(ip netip.Addr) bool {
		return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid()
	})
	// An IPv6 listener on "::" also serves IPv4, but "0.0.0.0" does not
	// serve IPv6.
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
		ips = slices.DeleteFunc(ips, func(ip netip.Addr) bool { return !ip.Is4() })
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() == b.Is4():
			return 0
		case a.Is4():
			return -1
		default:
			return 1
		}
	})
	urls := make([]string, 0, len(ips))
	for _, ip := range ips {
		u := "http://" + net.JoinHostPort(ip.String(), port)
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	return urls
}

// addrIP is the IP address of an interface address (*net.IPNet, *net.IPAddr).
func addrIP(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch a := a.(type) {
	case *net.IPNet:
		ip = a.IP
	case *net.IPAddr:
		if a.Zone != "" {
			return netip.Addr{}, false
		}
		ip = a.IP
	default:
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

// loopbackURL reports whether the URL's host is this machine only
// (localhost, 127.0.0.0/8, ::1).
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// printJoinURLs tells the terminal where phones join: KOE_PUBLIC_URL, or
// each LAN address, or a warning that only this machine can reach koe.
func printJoinURLs(w io.Writer, publicURL string, lan []string, at act.JoinBase) {
	switch {
	case publicURL != "":
		fmt.Fprintf(w, "  Participants join at %s/j/<code> (KOE_PUBLIC_URL)\n\n", at.URL)
	case len(lan) > 0:
		fmt.Fprintf(w, "  Participants join at (the presenter screen's QR code shows the first):\n\n")
		for _, u := range lan {
			fmt.Fprintf(w, "    %s/j/<code>\n", u)
		}
		fmt.Fprintf(w, "\n  Set KOE_PUBLIC_URL when phones reach koe at another address.\n\n")
	}
	if at.Loopback {
		fmt.Fprintf(w, "  Warning: join links point at %s, which phones cannot reach: listen on a LAN address (--addr :8080) or set KOE_PUBLIC_URL.\n\n", at.URL)
	}
}
