# koe — see README.md. Every target works on a fresh clone.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
ADDR    ?= :8080
DATA    ?= data

.PHONY: run build test fuzz bench clean web web-deps web-test e2e screenshots guide

NPM     ?= npm

## run: build the UI and koe, and serve it on $(ADDR) with SQLite in ./$(DATA)
run: build
	@echo '==> koe serve on $(ADDR), data in ./$(DATA) (on a first run it prints the setup link of the first admin; Ctrl-C stops it)'
	./bin/koe serve --addr $(ADDR) --data-dir $(DATA)

## build: the web UI, then a static binary in bin/koe that embeds it
build: web
	@echo '==> go build: bin/koe, with the UI embedded (the first build downloads the Go modules and compiles everything: several minutes on a small machine; later builds take seconds)'
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/koe ./cmd/koe

## test: vet, every Go test with the race detector (fuzz seeds included), the API suite again on
## PostgreSQL + Redis (skipped without KOE_TEST_POSTGRES_URL/KOE_TEST_REDIS_URL), then the UI's unit tests
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	KOE_TEST_API_STORE=postgres $(GO) test -race -count=1 ./api
	$(MAKE) web-test

## web-deps: install the UI's npm packages (npm ci), when package-lock.json changed
web-deps: web/node_modules/.koe-installed
web/node_modules/.koe-installed: web/package.json web/package-lock.json
	@echo '==> npm ci: installing the UI'"'"'s packages into web/node_modules (first time only, or when package-lock.json changed: a minute or so)'
	cd web && $(NPM) ci --no-audit --no-fund
	touch $@

## web: build the UI into web/dist (go build embeds it)
web: web-deps
	@echo '==> vite build: type-checking and bundling the UI into web/dist'
	cd web && $(NPM) run build

## web-test: the UI's unit tests (Vitest)
web-test: web-deps
	cd web && $(NPM) test

## screenshots: every screen, phone and projector, English and Japanese, into test-results/screens
screenshots: build
	cd web && $(NPM) run screenshots

## guide: the screenshots of docs/first-meetup.md and docs/first-meetup.ja.md, taken from a real koe into docs/guide (needs chromium, curl, jq)
guide: build
	cd web && node e2e/guide.mjs

## e2e: build the UI and koe, then run the browser tests against a real koe (needs chromium)
e2e: build
	cd web && $(NPM) run e2e

## fuzz: run each fuzz target for FUZZTIME (default 15s)
FUZZTIME ?= 15s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

## bench: build koe, load it on loopback and print key=value figures
bench: web
	bash bench/run.sh

clean:
	rm -rf bin test-results
	find web/dist -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true

## --- Delivery: image and Kubernetes (deploy/, docs/deployment.md) ---
IMAGE ?= ghcr.io/koehq/koe
ENV   ?= staging
TAG   ?=

.PHONY: image image-tags k8s-test k8s-render k8s-deploy k8s-bench preview preview-namespace

## image-tags: print this commit's image tags: vX.Y.Z-YYYYMMDD-HHMM and the git SHA
image-tags:
	@IMAGE=$(IMAGE) bash deploy/image.sh tags

## image: build deploy/Dockerfile without a Docker daemon (buildctl, buildx or kaniko), tagged as image-tags says
image:
	IMAGE=$(IMAGE) bash deploy/image.sh build

## k8s-test: render every Kubernetes environment and check it strictly (Go), then dry-run it on a real kube-apiserver
k8s-test:
	cd deploy/test && $(GO) vet ./... && $(GO) test -count=1 ./...
	bash deploy/test/apiserver.sh

## k8s-render: print the manifests of ENV (dev, staging, production, bench), with image TAG if given
k8s-render:
	@cd deploy/test && $(GO) run ./cmd/render $(if $(TAG),-tag $(TAG)) $(ENV)

## k8s-deploy: release image TAG to ENV with kubectl: server dry run, migrate Job, then the rest
k8s-deploy:
	@test -n "$(TAG)" || { echo "usage: make k8s-deploy ENV=staging TAG=<image tag>" >&2; exit 2; }
	bash deploy/k8s/deploy.sh $(ENV) $(TAG)

## k8s-bench: run koe bench as a Job in NAMESPACE against http://koe and print its figures
k8s-bench:
	@test -n "$(NAMESPACE)" || { echo "usage: make k8s-bench NAMESPACE=koe-staging [TAG=<image tag>]" >&2; exit 2; }
	kubectl -n $(NAMESPACE) delete job koe-bench --ignore-not-found --wait=true --timeout=120s
	cd deploy/test && $(GO) run ./cmd/render $(if $(TAG),-tag $(TAG)) bench | kubectl -n $(NAMESPACE) apply -f -
	kubectl -n $(NAMESPACE) wait --for=condition=complete job/koe-bench --timeout=30m || true
	kubectl -n $(NAMESPACE) logs job/koe-bench

## preview: print the preview environment of BRANCH on DOMAIN (image TAG, default this commit's SHA); pipe to kubectl apply -f -
preview preview-namespace: export KOE_PREVIEW_BRANCH = $(BRANCH)
preview preview-namespace: export KOE_PREVIEW_DOMAIN = $(DOMAIN)
preview:
	@test -n "$(BRANCH)" && test -n "$(DOMAIN)" || { echo "usage: make -s preview BRANCH=<git branch> DOMAIN=<parent domain> [TAG=<image tag>]" >&2; exit 2; }
	@cd deploy/test && $(GO) run ./cmd/render -preview -branch "$$KOE_PREVIEW_BRANCH" -domain "$$KOE_PREVIEW_DOMAIN" \
	  -tag "$(or $(TAG),$(shell git rev-parse HEAD 2>/dev/null))"

## preview-namespace: print the namespace of BRANCH's preview (e.g. to delete it)
preview-namespace:
	@test -n "$(BRANCH)" || { echo "usage: make -s preview-namespace BRANCH=<git branch>" >&2; exit 2; }
	@cd deploy/test && $(GO) run ./cmd/render -names -branch "$$KOE_PREVIEW_BRANCH" -domain example.com | cut -d' ' -f1
