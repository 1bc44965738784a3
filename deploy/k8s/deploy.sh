#!/usr/bin/env bash
# deploy/k8s/deploy.sh ENV TAG [--dry-run] — release koe image TAG to the
# environment ENV (dev, staging or production) with plain kubectl: what
# `make k8s-deploy ENV=… TAG=…` runs. It is the Helm-less "pre-sync" order
# that Argo CD (PreSync hook) and Flux (force annotation) also follow:
#
#   1. render the environment with the image tag (deploy/test/cmd/render,
#      the kustomize library the tests use; no kustomize binary needed);
#   2. a server-side dry run of everything: nothing is applied unless the
#      API server accepts all of it;
#   3. the migrate Job alone (with its ConfigMap and ServiceAccount), once
#      per release, waiting until it succeeds: the schema is current before
#      any new pod starts, and a failing migration stops the release here;
#   4. the rest: the Deployment rolls (staging, dev) or the Argo Rollouts
#      canary starts (production), then waits for the outcome.
#
# --dry-run stops after step 2. KUBECTL names the kubectl to use. The
# namespace must exist for a dry run (step 3 creates it otherwise).
set -euo pipefail

env=${1:?usage: deploy.sh dev|staging|production TAG [--dry-run]}
tag=${2:?usage: deploy.sh dev|staging|production TAG [--dry-run]}
dry_run=${3:-}
kubectl=${KUBECTL:-kubectl}
case $env in dev | staging | production) ;; *)
	echo "deploy.sh: unknown environment $env" >&2
	exit 2
	;;
esac
log() { echo "deploy.sh: $*" >&2; }

cd "$(dirname "$0")/../test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/render" ./cmd/render
render() { "$tmp/render" -tag "$tag" "$@" "$env"; }

ns=$(render -namespace)
render >"$tmp/all.yaml"
# The migrate Job and what it needs; then everything but the Job.
render -only 'Namespace/*' -only 'ConfigMap/*' -only ServiceAccount/koe \
	-only NetworkPolicy/koe-tasks -only Job/koe-migrate >"$tmp/migrate.yaml"
render -exclude Job/koe-migrate >"$tmp/rest.yaml"

log "$env ($ns): server-side dry run of koe $tag"
if [[ $dry_run != --dry-run ]]; then
	"$kubectl" apply -f <(render -only 'Namespace/*') >/dev/null
fi
"$kubectl" apply --dry-run=server --validate=strict -f "$tmp/all.yaml" >/dev/null
if [[ $dry_run == --dry-run ]]; then
	log "dry run accepted; nothing applied"
	exit 0
fi

# Jobs are immutable: remove last release's one-shot Jobs (migrate, seed)
# before applying this release's.
"$kubectl" -n "$ns" delete job -l 'app.kubernetes.io/part-of=koe,app.kubernetes.io/component in (migrate,seed)' \
	--ignore-not-found --wait=true --timeout=120s
"$kubectl" apply -f "$tmp/migrate.yaml"
log "waiting for the migration (at most 20 minutes)"
for ((i = 0; i < 240; i++)); do
	status=$("$kubectl" -n "$ns" get job koe-migrate \
		-o 'jsonpath={.status.conditions[?(@.type=="Complete")].status}/{.status.conditions[?(@.type=="Failed")].status}')
	case $status in
	True/*)
		log "migration done"
		break
		;;
	*/True)
		log "migration FAILED; its log:"
		"$kubectl" -n "$ns" logs job/koe-migrate --tail=50 >&2 || true
		exit 1
		;;
	esac
	sleep 5
done
if ((i == 240)); then
	log "the migration did not finish within 20 minutes"
	exit 1
fi

"$kubectl" apply -f "$tmp/rest.yaml"
if [[ $env == production ]]; then
	if "$kubectl" argo rollouts version >/dev/null 2>&1; then
		log "canary started; following it (abort with: kubectl argo rollouts abort koe -n $ns)"
		"$kubectl" argo rollouts status koe -n "$ns" --timeout 60m
	else
		log "canary started; follow it with: kubectl argo rollouts get rollout koe -n $ns --watch"
	fi
else
	"$kubectl" -n "$ns" rollout status deployment/koe --timeout=15m
fi
