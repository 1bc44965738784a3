#!/usr/bin/env bash
# deploy/image.sh tags|build [--push] — the container image's tags, and a
# daemon-less build of deploy/Dockerfile (make image-tags, make image).
#
# Every image gets two tags:
#   vX.Y.Z-YYYYMMDD-HHMM   the last release tag vX.Y.Z reachable from HEAD
#                          (v0.0.0 before the first) and the commit's time
#                          in UTC: sortable, and the same for every build
#                          of one commit;
#   <git SHA>              the full commit id: what previews and CI use.
# A work tree with uncommitted changes gets "-dirty" on both, so such an
# image is never mistaken for the commit's.
#
# Overrides: IMAGE (ghcr.io/koehq/koe), RELEASE (vX.Y.Z), TIMESTAMP
# (YYYYMMDD-HHMM), BUILDER (buildctl, buildx or kaniko; default: the first
# one found).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-ghcr.io/koehq/koe}
sha=$(git rev-parse HEAD 2>/dev/null) || {
	echo "image.sh: not a git work tree" >&2
	exit 1
}
release=${RELEASE:-$(git describe --tags --abbrev=0 --match 'v[0-9]*.[0-9]*.[0-9]*' 2>/dev/null || echo v0.0.0)}
if [[ ! $release =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "image.sh: RELEASE $release is not vX.Y.Z" >&2
	exit 1
fi
stamp=${TIMESTAMP:-$(TZ=UTC git show -s --date=format-local:%Y%m%d-%H%M --format=%cd HEAD)}
if [[ ! $stamp =~ ^[0-9]{8}-[0-9]{4}$ ]]; then
	echo "image.sh: TIMESTAMP $stamp is not YYYYMMDD-HHMM" >&2
	exit 1
fi
dirty=
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	dirty=-dirty
fi
version=$release-$stamp$dirty
commit=$sha$dirty

case ${1:-} in
tags)
	echo "$version"
	echo "$commit"
	;;
build)
	push=false
	[[ ${2:-} == --push ]] && push=true
	builder=${BUILDER:-}
	if [[ -z $builder ]]; then
		for b in buildctl buildx kaniko; do
			case $b in
			buildctl) command -v buildctl >/dev/null && builder=buildctl ;;
			buildx) docker buildx version >/dev/null 2>&1 && builder=buildx ;;
			kaniko) [[ -x /kaniko/executor ]] && builder=kaniko ;;
			esac
			[[ -n $builder ]] && break
		done
	fi
	[[ -n $dirty ]] && echo "image.sh: warning: uncommitted changes; tagging $version" >&2
	echo "image.sh: building $image:$version and $image:$commit with ${builder:-nothing}" >&2
	case $builder in
	buildctl)
		# A running buildkitd (BUILDKIT_HOST) does the work; no Docker daemon.
		buildctl build --frontend dockerfile.v0 --local context=. --local dockerfile=deploy \
			--opt filename=Dockerfile --opt "build-arg:VERSION=$version" --opt "build-arg:COMMIT=$commit" \
			--output "type=image,\"name=$image:$version,$image:$commit\",push=$push"
		;;
	buildx)
		args=(--file deploy/Dockerfile --build-arg "VERSION=$version" --build-arg "COMMIT=$commit"
			--tag "$image:$version" --tag "$image:$commit")
		$push && args+=(--push)
		docker buildx build "${args[@]}" .
		;;
	kaniko)
		args=(--context "dir://$PWD" --dockerfile deploy/Dockerfile
			--build-arg "VERSION=$version" --build-arg "COMMIT=$commit"
			--destination "$image:$version" --destination "$image:$commit")
		$push || args+=(--no-push)
		/kaniko/executor "${args[@]}"
		;;
	*)
		echo "image.sh: no builder: install buildctl (with a buildkitd), docker buildx, or run inside the kaniko image" >&2
		exit 1
		;;
	esac
	;;
*)
	echo "usage: image.sh tags|build [--push]" >&2
	exit 2
	;;
esac
