#!/usr/bin/env bash
# deploy/test/apiserver.sh — apply every rendered koe environment to a real
# Kubernetes API server with `kubectl apply --dry-run=server`, so that the
# server's own validation (schemas of built-in kinds and of the Argo
# Rollouts and Prometheus Operator CRDs, strict field validation, Pod
# Security admission "restricted") judges the manifests. Part of
# `make k8s-test`.
#
# kube-apiserver and kubectl are built from the Go module proxy (wrapper
# module kube/), etcd likewise (etcd/), once: the binaries are cached in
# $KOE_K8S_CACHE (default ~/.cache/koe-k8s), keyed by version and by the
# wrapper modules' content, so later runs skip the build (~10 minutes on 2
# cores). Everything listens on 127.0.0.1 only, every wait is bounded, and
# the servers are stopped on exit.
set -euo pipefail

KUBE_VERSION=1.33.13           # keep in step with kube/go.mod (kube/update.sh)
ETCD_VERSION=3.5.35            # keep in step with etcd/go.mod
PROM_OPERATOR_VERSION=v0.85.0  # the PodMonitor CRD comes from this release's module

cd "$(dirname "$0")"
here=$PWD
cache=${KOE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/koe-k8s}
log() { echo "apiserver.sh: $*" >&2; }

for tool in go openssl curl timeout; do
	command -v "$tool" >/dev/null || { log "needs $tool"; exit 1; }
done

# key DIR prints a short hash of a wrapper module, so that editing it
# (another version, other flags) builds anew instead of reusing the cache.
key() {
	find "$1" -maxdepth 1 -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 |
		sort -z | xargs -0 cat | sha256sum | cut -c1-12
}

kube_dir=$cache/kube-v$KUBE_VERSION-$(key kube)
etcd_dir=$cache/etcd-v$ETCD_VERSION-$(key etcd)

# build NAME DIR MODULE PACKAGES… builds into DIR unless it is there
# already; into a temporary directory first, so an interrupted build never
# leaves half a cache behind.
build() {
	local name=$1 dir=$2 module=$3 ldflags=$4
	shift 4
	if [[ -f $dir/.complete ]]; then
		log "$name: cached in $dir"
		return 0
	fi
	log "$name: building into $dir (once; takes minutes)"
	local start=$SECONDS
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	(cd "$module" && go build -trimpath -ldflags "$ldflags" -o "$dir.tmp/" "$@")
	touch "$dir.tmp/.complete"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	log "$name: built in $((SECONDS - start)) s"
}

minor=${KUBE_VERSION#*.}
minor=${minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	kube_ldflags+=" -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done
build kube-apiserver+kubectl "$kube_dir" kube "$kube_ldflags" \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
build etcd "$etcd_dir" etcd "-s -w" .

kubectl_bin=$kube_dir/kubectl
tmp=$(mktemp -d)
pids=()
cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if ((status != 0)); then
		for f in etcd apiserver; do
			[[ -f $tmp/$f.log ]] && { log "last lines of $f.log:"; tail -n 25 "$tmp/$f.log" >&2; }
		done
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a loopback port nobody listens on, chosen at random below
# the ephemeral range (so no outgoing connection holds it either). A port
# can still be taken between the check and the bind: the servers below are
# started up to three times.
free_port() {
	local lo hi p
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	((lo > 12000)) || lo=61000
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	log "no free port found"
	return 1
}

# wait_for WHAT SECONDS PID COMMAND… runs COMMAND every half second until
# it succeeds, the process PID dies, or SECONDS pass.
wait_for() {
	local what=$1 secs=$2 pid=$3
	shift 3
	local i
	for ((i = 0; i < secs * 2; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "$what exited while starting"
			return 1
		fi
		sleep 0.5
	done
	log "$what not ready within $secs s"
	return 1
}

# etcd, on two free loopback ports, without fsync (its data is thrown away).
start_etcd() {
	etcd_port=$(free_port)
	peer_port=$(free_port)
	rm -rf "$tmp/etcd"
	"$etcd_dir/etcd" --name koe-test --data-dir "$tmp/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "koe-test=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn \
		>"$tmp/etcd.log" 2>&1 &
	pids+=($!)
	wait_for etcd 30 "${pids[-1]}" curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health"
}
for try in 1 2 3; do
	start_etcd && break
	((try < 3)) || exit 1
	kill "${pids[-1]}" 2>/dev/null || true
	log "retrying with other ports"
done
log "etcd $ETCD_VERSION on 127.0.0.1:$etcd_port"

# kube-apiserver with a static admin token and a throwaway service-account
# key; it generates its own serving certificate in --cert-dir.
openssl genrsa -out "$tmp/sa.key" 2048 2>/dev/null
openssl rsa -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub" 2>/dev/null
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
echo "$token,koe-test-admin,koe-test-admin,system:masters" >"$tmp/tokens.csv"
kubectl() { timeout 120 "$kubectl_bin" --request-timeout=60s "$@"; }
start_apiserver() {
	api_port=$(free_port)
	"$kube_dir/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
		--cert-dir "$tmp/certs" --token-auth-file "$tmp/tokens.csv" --authorization-mode RBAC \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$tmp/sa.pub" --service-account-signing-key-file "$tmp/sa.key" \
		--service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
		--enable-priority-and-fairness=false \
		>"$tmp/apiserver.log" 2>&1 &
	pids+=($!)
	cat >"$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: koe-test
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority: $tmp/certs/apiserver.crt
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: koe-test
    context: {cluster: koe-test, user: admin}
current-context: koe-test
EOF
	wait_for kube-apiserver 120 "${pids[-1]}" kubectl get --raw /readyz
}
export KUBECONFIG=$tmp/kubeconfig
for try in 1 2 3; do
	start_apiserver && break
	((try < 3)) || exit 1
	kill "${pids[-1]}" 2>/dev/null || true
	log "retrying with another port"
done
log "kube-apiserver $("$kube_dir/kube-apiserver" --version | cut -d' ' -f2) on 127.0.0.1:$api_port"

# The CRDs koe's manifests use: Argo Rollouts' from the argo-rollouts
# module the render test decodes with, the PodMonitor from the Prometheus
# Operator's release module.
rollouts_dir=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)
if [[ -z $rollouts_dir || ! -d $rollouts_dir ]]; then
	go mod download github.com/argoproj/argo-rollouts
	rollouts_dir=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)
fi
prom_dir=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
crds=(
	"$rollouts_dir"/manifests/crds/{rollout,analysis-template,cluster-analysis-template,analysis-run,experiment}-crd.yaml
	"$prom_dir/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml"
)
for f in "${crds[@]}"; do
	kubectl apply --server-side --field-manager koe-test -f "$f" >/dev/null
done
kubectl wait --for condition=established --timeout=60s \
	crd/rollouts.argoproj.io crd/analysistemplates.argoproj.io crd/podmonitors.monitoring.coreos.com >/dev/null
log "CRDs applied: Argo Rollouts $(go list -m -f '{{.Version}}' github.com/argoproj/argo-rollouts), PodMonitor $PROM_OPERATOR_VERSION"

# Render with the same kustomize library as the Go test.
go build -o "$tmp/render" ./cmd/render
mkdir "$tmp/rendered"
"$tmp/render" -o "$tmp/rendered"
"$tmp/render" -o "$tmp/rendered" -preview -branch 'feature/Canary_Analysis+tweaks' \
	-domain preview.example.com -tag 0123456789abcdef0123456789abcdef01234567

failures=0
passed=0
# dry_run NAME [KUBECTL ARGS…]: a server-side dry run of NAME.yaml; any
# rejection or warning (Pod Security "restricted" warns on workloads that
# break it) fails.
dry_run() {
	local name=$1
	shift
	local out=$tmp/$name.out err=$tmp/$name.err
	# The namespaces must exist for real: a dry run creates nothing.
	if grep -q '^kind: Namespace' "$tmp/rendered/$name.namespaces.yaml"; then
		kubectl apply -f "$tmp/rendered/$name.namespaces.yaml" >/dev/null
	fi
	if kubectl apply --dry-run=server --validate=strict "$@" -f "$tmp/rendered/$name.yaml" >"$out" 2>"$err" &&
		! grep -qi 'warning' "$err"; then
		log "$name: accepted ($(grep -c . "$out") objects)"
		passed=$((passed + 1))
	else
		log "$name: REJECTED"
		cat "$err" >&2
		failures=$((failures + 1))
	fi
}
for name in dev staging production preview; do
	dry_run "$name"
done
dry_run bench -n koe-staging

# deploy/k8s/deploy.sh, as far as a cluster without nodes allows: its
# dry run of each environment with a release tag.
for env in dev staging production; do
	if KUBECTL=$kubectl_bin timeout 300 bash ../k8s/deploy.sh "$env" v0.0.0-20260101-0000 --dry-run 2>"$tmp/deploy-$env.err"; then
		log "deploy.sh $env --dry-run: accepted"
		passed=$((passed + 1))
	else
		log "deploy.sh $env --dry-run: FAILED"
		cat "$tmp/deploy-$env.err" >&2
		failures=$((failures + 1))
	fi
done

# The check must be able to fail: an unknown field, a pod that breaks the
# restricted profile (a warning) and a Rollout with a malformed step must be refused.
cat >"$tmp/rendered/bad-field.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: bad, namespace: koe-staging}
dataa: {x: y}
EOF
cat >"$tmp/rendered/bad-pod.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: koe-staging}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers: [{name: bad, image: "busybox:1.36"}]
EOF
cat >"$tmp/rendered/bad-rollout.yaml" <<'EOF'
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bad, namespace: koe-staging}
spec:
  selector: {matchLabels: {app: bad}}
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: koe}
  strategy: {canary: {steps: [{setWeight: "ten"}]}}
EOF
for bad in bad-field bad-pod bad-rollout; do
	if kubectl apply --dry-run=server --validate=strict -f "$tmp/rendered/$bad.yaml" >/dev/null 2>"$tmp/$bad.err" &&
		! grep -qi 'warning' "$tmp/$bad.err"; then
		log "self-check: $bad.yaml was accepted; the dry run checks nothing"
		failures=$((failures + 1))
	else
		log "self-check: $bad.yaml refused: $(grep -v '^ *$' "$tmp/$bad.err" | head -n 1 | cut -c1-160)"
		passed=$((passed + 1))
	fi
done

((failures == 0)) && log "every environment accepted by kube-apiserver $KUBE_VERSION"
echo "k8s-dry-run: $passed passed, $failures failed"
((failures == 0))
