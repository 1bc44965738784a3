#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs. Builds koe, then runs the idle,
# fanout and likes scenarios of `koe bench`, each against a fresh local
# server (new data directory, new port) so that they do not interfere. The
# server is pinned to CPU 0 with GOMAXPROCS=1, the generator to CPU 1.
#
# Output: a header of "# " comment lines describing the machine, then the
# generator's key=value lines. Knobs to shrink a run (e.g. a smoke test:
# BENCH_SUBSCRIBERS=500 BENCH_DURATION=5s bash bench/run.sh):
#   BENCH_SUBSCRIBERS     WebSocket subscribers for idle and fanout (10000)
#   BENCH_DURATION        fanout load duration (30s)
#   BENCH_LIKES_DURATION  likes duration (20s)
#   BENCH_QUESTIONS_PER_S fanout question rate (10)
#   BENCH_LIKES_PER_S     fanout like rate (200)
#   BENCH_CLIENTS         likes clients (64)
#   BENCH_SCENARIOS       which scenarios, in order ("idle fanout likes")
#   BENCH_PORT            base port; scenario n listens on BENCH_PORT+n (18080)
set -euo pipefail

subscribers=${BENCH_SUBSCRIBERS:-10000}
duration=${BENCH_DURATION:-30s}
likes_duration=${BENCH_LIKES_DURATION:-20s}
qps=${BENCH_QUESTIONS_PER_S:-10}
lps=${BENCH_LIKES_PER_S:-200}
clients=${BENCH_CLIENTS:-64}
scenarios=${BENCH_SCENARIOS:-idle fanout likes}
port=${BENCH_PORT:-18080}

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server_pid=
gen_pid=
token=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

stop_server() {
	[[ -n $server_pid ]] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}
cleanup() {
	if [[ -n $gen_pid ]]; then
		kill -TERM "$gen_pid" 2>/dev/null || true
		wait "$gen_pid" 2>/dev/null || true
	fi
	stop_server
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server starts koe on the next port with an empty data directory and
# waits (at most 30 s) until it is ready. Sets server_pid and url.
start_server() {
	port=$((port + 1))
	url=http://127.0.0.1:$port
	rm -rf "$tmp/data"
	# taskset and env exec, so $! is the server's own pid (idle reads its RSS).
	taskset -c 0 env GOMAXPROCS=1 KOE_RATE_LIMITS=off KOE_OWNER_TOKEN="$token" \
		"$tmp/koe" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" >"$tmp/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do
		if curl -fsS --max-time 2 -o /dev/null "$url/readyz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "run.sh: the server exited; its log:" >&2
			tail -n 20 "$tmp/server.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "run.sh: the server was not ready within 30 s" >&2
	exit 1
}

# bench runs the generator pinned to CPU 1. It runs in the background so
# that a signal to this script interrupts the wait and the traps clean up.
bench() {
	taskset -c 1 "$tmp/koe" bench "$@" &
	gen_pid=$!
	wait "$gen_pid"
	gen_pid=
}

# source_ips prints four loopback addresses for scenario n, so that every
# scenario dials from addresses whose ports no earlier run left in TIME_WAIT.
source_ips() {
	echo "127.0.$1.1,127.0.$1.2,127.0.$1.3,127.0.$1.4"
}

go build -o "$tmp/koe" ./cmd/koe

echo "# koe bench $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r), $(go version | cut -d' ' -f3)"
echo "# server pinned to CPU 0 with GOMAXPROCS=1 and KOE_RATE_LIMITS=off; generator pinned to CPU 1"
# Other work on the machine skews every figure; say how busy it was.
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Each subscriber is a file descriptor on both sides.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < subscribers + 1000)); then
	echo "run.sh: warning: ulimit -n is $(ulimit -n), low for $subscribers subscribers" >&2
fi
# Connections are spread over four source addresses; widen the ephemeral
# port range only if a quarter of them would not fit, and only if allowed.
range_file=/proc/sys/net/ipv4/ip_local_port_range
read -r lo hi <"$range_file"
if ((subscribers / 4 + 1000 > hi - lo)); then
	if [[ -w $range_file ]] && echo "1024 65535" >"$range_file" 2>/dev/null; then
		echo "# widened $range_file to 1024-65535"
	else
		echo "run.sh: warning: ephemeral port range $lo-$hi may be too small" >&2
	fi
fi

n=0
for scenario in $scenarios; do
	n=$((n + 1))
	start_server
	case $scenario in
	idle)
		bench idle --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --source-ips "$(source_ips "$n")"
		;;
	fanout)
		bench fanout --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --questions-per-s "$qps" --likes-per-s "$lps" \
			--duration "$duration" --source-ips "$(source_ips "$n")"
		;;
	likes)
		bench likes --url "$url" --token "$token" \
			--clients "$clients" --duration "$likes_duration"
		;;
	*)
		echo "run.sh: unknown scenario $scenario" >&2
		exit 2
		;;
	esac
	stop_server
done

# The audience UI's JavaScript, as a browser downloads it (gzip -9 per file).
if [[ -d web/dist/assets ]]; then
	js_bytes=0
	while IFS= read -r -d '' f; do
		js_bytes=$((js_bytes + $(gzip -9c "$f" | wc -c)))
	done < <(find web/dist/assets -type f -name '*.js' -print0)
	if ((js_bytes > 0)); then
		awk -v b="$js_bytes" 'BEGIN { printf "web_audience_js_gzip_kb=%.1f\n", b / 1024 }'
	fi
fi
