#!/usr/bin/env bash
# bench/run.sh — what `make bench` runs. Builds koe, then runs the idle,
# fanout and likes scenarios of `koe bench`, each against a fresh local
# server (new data directory, new port) so that they do not interfere. The
# server is pinned to CPU 0 with GOMAXPROCS=1, the generator to CPU 1.
#
# The listtop scenario has 32 participants list a talk's top 20 of 1,000
# questions, one request in flight each, as fast as the server answers for
# 20 s (BENCH_LIKES_DURATION): list_top_per_s, list_top_p99_ms.
#
# The moderation scenario measures the moderation pipeline (normaliser,
# rules, word lists and the learned scorer) for one text on one core, the
# learned scorer's precision and recall on the held-out part of the shipped
# corpus (go test, KOE_BENCH=1), then moderated asking against a server:
# pre-moderation, an HTTP scorer answering in 30 ms, 20 asks/s, 5
# moderators' consoles (moderated_ask_p99_ms, queue_p99_ms).
#
# The ingest scenario measures the social feed: a Mastodon test instance in
# the generator streams #koe to a source, an operator's console follows the
# feed stream; 20 posts/s for 10 s timed from publication to the console
# (ingest_to_screen_p99_ms), then 5000 at once (ingest_posts_per_s, with
# ingest_lost and ingest_duplicated, both 0 when all is well).
#
# The reactions scenario taps (64 participants, BENCH_TAPS_PER_REQUEST
# taps a request) 20,000 a second for 20 s with a probe among them
# (reactions_p99_ms: tap → its window on every subscriber), then as fast as
# the server answers for 10 s (reactions_per_s), while the subscribers
# watch the summed windows (reactions_lost); then the same with one tap a
# request and 10,000 a second (single_*). The overlay scenario highlights a question once a
# second for 20 s while 50 overlay clients (an overlay link's key) and the
# subscribers follow the talk (overlay_p99_ms). The polls scenario has 64
# voters (BENCH_CLIENTS) vote and change their votes in one poll of five
# options as fast as the server answers for 20 s (BENCH_LIKES_DURATION):
# poll_votes_per_s, and poll_votes_lost (the results against each voter's
# last acknowledged vote, 0 when all is well). The export scenario makes a
# talk of 1,000 questions and exports it 40 times in each format, one at a
# time (export_p99_ms: request → last byte). The import scenario imports a
# pretalx schedule of 500 talks into a new event ten times, one at a time
# (import_talks_per_s from the median), then again unchanged and changed.
#
# The scaled scenario runs fanout, likes and polls (same load as above) against
# three replicas (BENCH_REPLICAS) in scaled mode, all pinned to CPU 0 with GOMAXPROCS=1 each,
# sharing a fresh PostgreSQL database and a Redis key prefix of their own;
# each of the three runs gets new replicas, a new database and a new prefix.
# PostgreSQL and Redis must be running already (not pinned: they float on
# both CPUs); the databases and keys are removed at the end. Its figures
# carry a "scaled_" prefix (scaled_fanout_p99_ms, scaled_likes_per_s,
# scaled_poll_votes_per_s, ...).
#
# Output: a header of "# " comment lines describing the machine, then the
# generator's key=value lines. Knobs to shrink a run (e.g. a smoke test:
# BENCH_SUBSCRIBERS=500 BENCH_DURATION=5s bash bench/run.sh):
#   BENCH_SUBSCRIBERS     WebSocket subscribers for idle and fanout (10000)
#   BENCH_DURATION        fanout load duration (30s)
#                         (fanout measures write_cost_us first when the writecost
#                         scenario has not, for fanout_floor_ms)
#   BENCH_LIKES_DURATION  likes duration (20s)
#   BENCH_QUESTIONS_PER_S fanout question rate (10)
#   BENCH_LIKES_PER_S     fanout like rate (200)
#   BENCH_CLIENTS         likes clients (64)
#   BENCH_SCENARIOS       which scenarios, in order ("writecost idle fanout likes listtop moderation ingest reactions overlay polls export import scaled")
#   BENCH_TAPS_PER_REQUEST  reactions: taps per request (4: a phone tapping fast sends a quarter second's together)
#   BENCH_MODERATION_DURATION  moderation: how long to ask (20s)
#   BENCH_PORT            base port; each server takes the next port (18080)
#   BENCH_POSTGRES_URL    scaled: PostgreSQL to create databases on, a URL
#                         without query (postgres://postgres@127.0.0.1:5432/test)
#   BENCH_REDIS_URL       scaled: Redis (redis://127.0.0.1:6379/0)
#   BENCH_REPLICAS        scaled: replicas (3)
#   BENCH_LOG_DIR         if set, every server's log is copied there at the end
#                         (server-PORT.log; scaled-RUN-replica-N.log, RUN 1 fanout, 2 likes, 3 polls)
#   BENCH_GENERATOR_MEMORY  the generator's GOMEMLIMIT; it collects garbage only
#                         near it (4GiB)
#   BENCH_SERVER_BIN      the koe binary to serve (default: built from this
#                         checkout); the generator is always this checkout's, so
#                         that two builds are measured by the same one
set -euo pipefail

subscribers=${BENCH_SUBSCRIBERS:-10000}
duration=${BENCH_DURATION:-30s}
likes_duration=${BENCH_LIKES_DURATION:-20s}
qps=${BENCH_QUESTIONS_PER_S:-10}
lps=${BENCH_LIKES_PER_S:-200}
clients=${BENCH_CLIENTS:-64}
scenarios=${BENCH_SCENARIOS:-writecost idle fanout likes listtop moderation ingest reactions overlay polls export import scaled}
port=${BENCH_PORT:-18080}
pg_admin=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
redis_url=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}
replicas=${BENCH_REPLICAS:-3}
log_dir=${BENCH_LOG_DIR:-}
server_bin=${BENCH_SERVER_BIN:-}
# Each replica's pool: 3 × 16 connections stay well inside PostgreSQL's
# default max_connections (100), which the default 32 each would not.
pool_max_conns=16

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
server_pid=
gen_pid=
sed_pid=
replica_pids=()
scaled_db=     # the scaled replicas' database and Redis key prefix, while they exist
scaled_prefix=
scaled_runs=0
run_id=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
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
	if [[ -n $sed_pid ]]; then
		wait "$sed_pid" 2>/dev/null || true
	fi
	stop_server
	stop_replicas
	if [[ -n $log_dir ]]; then
		mkdir -p "$log_dir" && cp "$tmp"/*.log "$log_dir"/ 2>/dev/null || true
	fi
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
	taskset -c 0 env GOMAXPROCS=1 KOE_RATE_LIMITS=off KOE_MAX_STREAMS_PER_ADDRESS=1000000 KOE_OWNER_TOKEN="$token" KOE_METRICS_ADDR=off \
		"$server_bin" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" >"$tmp/server-$port.log" 2>&1 &
	server_pid=$!
	wait_ready "$url" "$server_pid" "$tmp/server-$port.log"
}

# wait_ready waits (at most 30 s) until the server at $1, process $2,
# logging to $3, answers /readyz; exits if it does not.
wait_ready() {
	for _ in $(seq 300); do
		if curl -fsS --max-time 2 -o /dev/null "$1/readyz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$2" 2>/dev/null; then
			echo "run.sh: the server at $1 exited; its log:" >&2
			tail -n 20 "$3" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "run.sh: the server at $1 was not ready within 30 s; its log:" >&2
	tail -n 20 "$3" >&2
	exit 1
}

# start_replicas creates a fresh database and starts $replicas replicas of
# koe in scaled mode on it, on the next ports, with a new Redis key prefix,
# and waits until each is ready. Sets urls (comma-separated).
start_replicas() {
	scaled_runs=$((scaled_runs + 1))
	scaled_prefix=koe-bench-$run_id-$scaled_runs:
	scaled_db=koe_bench_${run_id}_$scaled_runs
	psql "$pg_admin" -XqAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $scaled_db" >/dev/null
	local db_url="${pg_admin%/*}/$scaled_db?sslmode=disable&pool_max_conns=$pool_max_conns"
	local i log url
	urls=
	for i in $(seq "$replicas"); do
		port=$((port + 1))
		log=$tmp/scaled-$scaled_runs-replica-$i.log
		taskset -c 0 env GOMAXPROCS=1 KOE_RATE_LIMITS=off KOE_MAX_STREAMS_PER_ADDRESS=1000000 KOE_OWNER_TOKEN="$token" KOE_METRICS_ADDR=off \
			KOE_DATABASE_URL="$db_url" KOE_REDIS_URL="$redis_url" KOE_REDIS_PREFIX="$scaled_prefix" \
			"$server_bin" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" >"$log" 2>&1 &
		replica_pids+=($!)
		urls+=${urls:+,}http://127.0.0.1:$port
	done
	i=0
	for url in ${urls//,/ }; do
		i=$((i + 1))
		wait_ready "$url" "${replica_pids[i - 1]}" "$tmp/scaled-$scaled_runs-replica-$i.log"
	done
}

# stop_replicas stops the replicas (at most 10 s, then SIGKILL), drops
# their database and deletes their Redis keys. Safe to call at any time.
stop_replicas() {
	local i pid
	if ((${#replica_pids[@]} > 0)); then
		for i in "${!replica_pids[@]}"; do
			if ! kill -0 "${replica_pids[i]}" 2>/dev/null; then
				echo "run.sh: warning: replica $((i + 1)) of scaled run $scaled_runs exited before it was stopped" >&2
			fi
		done
		kill -TERM "${replica_pids[@]}" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "${replica_pids[@]}" 2>/dev/null || break
			sleep 0.1
		done
		for pid in "${replica_pids[@]}"; do
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		done
		replica_pids=()
		report_replica_logs
	fi
	if [[ -n $scaled_db ]]; then
		psql "$pg_admin" -XqAt -c "DROP DATABASE IF EXISTS $scaled_db WITH (FORCE)" >/dev/null ||
			echo "run.sh: warning: could not drop database $scaled_db" >&2
		scaled_db=
	fi
	if [[ -n $scaled_prefix ]]; then
		redis-cli -u "$redis_url" --scan --pattern "$scaled_prefix*" |
			xargs -r -n 500 redis-cli -u "$redis_url" unlink >/dev/null ||
			echo "run.sh: warning: could not delete the Redis keys $scaled_prefix*" >&2
		scaled_prefix=
	fi
}

# report_replica_logs says on stderr how many warnings and errors each
# replica of the last scaled run logged, with the first of them.
report_replica_logs() {
	local log n
	for log in "$tmp"/scaled-"$scaled_runs"-replica-*.log; do
		[[ -f $log ]] || continue
		n=$(grep -c '"level":"\(WARN\|ERROR\)"' "$log" || true)
		if ((n > 0)); then
			echo "run.sh: $(basename "$log" .log): $n warnings or errors logged, the first: $(grep -m1 '"level":"\(WARN\|ERROR\)"' "$log")" >&2
		fi
	done
}

# The generator collects garbage only near this much memory: a collection
# on its one core holds up every reading goroutine, and the 40–60 ms
# pauses showed as POST and like latency it had not waited for.
generator_memory=${BENCH_GENERATOR_MEMORY:-4GiB}

# bench runs the generator pinned to CPU 1, its key=value lines prefixed
# with $key_prefix when set ("# " comments as they are). It runs in the
# background so that a signal to this script interrupts the wait and the
# traps clean up; its output goes through a FIFO to sed for the same reason.
bench() {
	rm -f "$tmp/gen.fifo"
	mkfifo "$tmp/gen.fifo"
	sed -u "/^# /!s/^/${key_prefix:-}/" <"$tmp/gen.fifo" &
	sed_pid=$!
	taskset -c 1 env GOGC=off GOMEMLIMIT="$generator_memory" "$tmp/koe" bench "$@" >"$tmp/gen.fifo" &
	gen_pid=$!
	wait "$gen_pid"
	gen_pid=
	wait "$sed_pid"
	sed_pid=
}

# source_ips prints four loopback addresses for scenario n, so that every
# scenario dials from addresses whose ports no earlier run left in TIME_WAIT.
source_ips() {
	echo "127.0.$1.1,127.0.$1.2,127.0.$1.3,127.0.$1.4"
}

go build -o "$tmp/koe" ./cmd/koe
go build -o "$tmp/writecost" ./bench/writecost
if [[ -z $server_bin ]]; then
	server_bin=$tmp/koe
fi

echo "# koe bench $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
if [[ $server_bin != "$tmp/koe" ]]; then
	echo "# server: $server_bin ($("$server_bin" version 2>/dev/null || echo unknown version)); generator: this checkout"
fi
echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r), $(go version | cut -d' ' -f3)"
echo "# server pinned to CPU 0 with GOMAXPROCS=1, KOE_RATE_LIMITS=off and no bound on connections per address (the generator dials from four); generator pinned to CPU 1"
if [[ " $scenarios " == *" scaled "* ]]; then
	if ! pg_version=$(psql "$pg_admin" -XqAt -c 'SHOW server_version' | cut -d' ' -f1); then
		echo "run.sh: scaled: PostgreSQL at $pg_admin does not answer (BENCH_POSTGRES_URL)" >&2
		exit 1
	fi
	if ! redis_version=$(redis-cli -u "$redis_url" info server | tr -d '\r' | sed -n 's/^redis_version://p') ||
		[[ -z $redis_version ]]; then
		echo "run.sh: scaled: Redis at $redis_url does not answer (BENCH_REDIS_URL)" >&2
		exit 1
	fi
	echo "# scaled: $replicas replicas (koe serve, PostgreSQL store, Redis) all pinned to CPU 0 with GOMAXPROCS=1 each; generator pinned to CPU 1; PostgreSQL $pg_version and Redis $redis_version are system services, not pinned: they float on both CPUs; pool_max_conns=$pool_max_conns per replica"
fi
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

# measure_writecost prints write_cost_us, the floor under fan-out: what one
# loopback write costs the server's core, the reader on the other core; it
# keeps the figure for the fanout scenario's floor (fanout_floor_ms).
write_cost_us=
measure_writecost() {
	taskset -c 0 "$tmp/writecost" server "$subscribers" 2048 >"$tmp/writecost.out" &
	local wc_pid=$!
	sleep 0.5
	taskset -c 1 "$tmp/writecost" client "$subscribers"
	wait "$wc_pid"
	cat "$tmp/writecost.out"
	write_cost_us=$(sed -n 's/^write_cost_us=//p' "$tmp/writecost.out")
}
# The server's flush interval (its default), for the floor.
flush_interval=100ms

# Loopback delivers a sent packet through the sending CPU's backlog, which
# holds net.core.netdev_max_backlog packets (1000 by default): a sweep
# writing to 10,000 sockets from one core overflows it, and the dropped
# packets (responses and frames alike) wait for TCP's loss probe, tens of
# milliseconds (/proc/net/softnet_stat counts them). A NIC has queues of
# its own; raise the backlog where allowed so that loopback does not drop.
backlog_file=/proc/sys/net/core/netdev_max_backlog
if (($(cat "$backlog_file") < 4 * subscribers)); then
	if [[ -w $backlog_file ]] && echo $((4 * subscribers)) >"$backlog_file" 2>/dev/null; then
		echo "# raised $backlog_file to $((4 * subscribers))"
	else
		echo "run.sh: warning: $backlog_file is $(cat "$backlog_file"): loopback may drop packets under fan-out" >&2
	fi
fi
# Packets the backlogs dropped during the run (second column of softnet_stat, all CPUs).
softnet_drops() {
	local n=0 _processed dropped _rest
	while read -r _processed dropped _rest; do
		n=$((n + 16#$dropped))
	done </proc/net/softnet_stat
	echo "$n"
}
drops_at_start=$(softnet_drops)

n=0
for scenario in $scenarios; do
	n=$((n + 1))
	case $scenario in
	idle)
		start_server
		bench idle --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --source-ips "$(source_ips "$n")"
		;;
	fanout)
		[[ -n $write_cost_us ]] || measure_writecost
		start_server
		bench fanout --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --questions-per-s "$qps" --likes-per-s "$lps" \
			--duration "$duration" --source-ips "$(source_ips "$n")" \
			--write-cost-us "$write_cost_us" --flush-interval "$flush_interval"
		;;
	likes)
		start_server
		bench likes --url "$url" --token "$token" \
			--clients "$clients" --duration "$likes_duration"
		;;
	moderation)
		KOE_BENCH=1 taskset -c 0 env GOMAXPROCS=1 go test -count=1 -v -run 'TestPipelineP99|TestScorerQuality' ./moderation/ |
			grep -E '^(# |[a-z0-9_]+=)'
		start_server
		bench moderation --url "$url" --token "$token" --duration "${BENCH_MODERATION_DURATION:-20s}"
		;;
	ingest)
		start_server
		bench ingest --url "$url" --token "$token"
		;;
	reactions)
		start_server
		bench reactions --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --taps-per-request "${BENCH_TAPS_PER_REQUEST:-4}" --source-ips "$(source_ips "$n")"
		stop_server
		start_server
		key_prefix=single_ bench reactions --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --taps-per-request 1 --taps-per-s 10000 --source-ips "$(source_ips "$((n + 100))")"
		;;
	export)
		start_server
		bench export --url "$url" --token "$token"
		;;
	listtop)
		start_server
		bench listtop --url "$url" --token "$token" --duration "$likes_duration"
		;;
	import)
		start_server
		bench import --url "$url" --token "$token"
		;;
	polls)
		start_server
		bench polls --url "$url" --token "$token" --clients "$clients" --duration "$likes_duration"
		;;
	overlay)
		start_server
		bench overlay --url "$url" --token "$token" --pid "$server_pid" \
			--subscribers "$subscribers" --source-ips "$(source_ips "$n")"
		;;
	scaled)
		# Subscriber i connects to replica i mod $replicas, writers and
		# likes clients likewise; setup goes to the first.
		start_replicas
		key_prefix=scaled_ bench fanout --url "$urls" --token "$token" \
			--subscribers "$subscribers" --questions-per-s "$qps" --likes-per-s "$lps" \
			--duration "$duration" --source-ips "$(source_ips "$n")"
		stop_replicas
		start_replicas
		key_prefix=scaled_ bench likes --url "$urls" --token "$token" \
			--clients "$clients" --duration "$likes_duration"
		stop_replicas
		start_replicas
		key_prefix=scaled_ bench polls --url "$urls" --token "$token" \
			--clients "$clients" --duration "$likes_duration"
		stop_replicas
		;;
	writecost)
		measure_writecost
		;;
	*)
		echo "run.sh: unknown scenario $scenario" >&2
		exit 2
		;;
	esac
	stop_server
done

echo "loopback_drops=$(($(softnet_drops) - drops_at_start))"

# The audience page's JavaScript as a browser downloads it (gzip -9), as
# the UI build measures it (make bench builds the UI first).
if [[ -f web/dist/index.html ]]; then
	(cd web && node scripts/postbuild.mjs) | sed -n 's/^\(web_[a-z_]*=[0-9.]*\).*/\1/p'
fi
