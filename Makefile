# koe — see README.md. Every target works on a fresh clone.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
ADDR    ?= :8080
DATA    ?= data

.PHONY: run build test fuzz bench clean web web-deps web-test e2e screenshots

NPM     ?= npm

## run: build the UI and koe, and serve it on $(ADDR) with SQLite in ./$(DATA)
run: build
	./bin/koe serve --addr $(ADDR) --data-dir $(DATA)

## build: the web UI, then a static binary in bin/koe that embeds it
build: web
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/koe ./cmd/koe

## test: vet, every Go test with the race detector (fuzz seeds included), then the UI's unit tests
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) web-test

## web-deps: install the UI's npm packages (npm ci), when package-lock.json changed
web-deps: web/node_modules/.koe-installed
web/node_modules/.koe-installed: web/package.json web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund
	touch $@

## web: build the UI into web/dist (go build embeds it)
web: web-deps
	cd web && $(NPM) run build

## web-test: the UI's unit tests (Vitest)
web-test: web-deps
	cd web && $(NPM) test

## screenshots: every screen, phone and projector, English and Japanese, into test-results/screens
screenshots: build
	cd web && $(NPM) run screenshots

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
bench:
	bash bench/run.sh

clean:
	rm -rf bin test-results
	find web/dist -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true
