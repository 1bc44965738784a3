# koe — see README.md. Every target works on a fresh clone.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
ADDR    ?= :8080
DATA    ?= data

.PHONY: run build test fuzz bench clean

## run: build koe and serve it on $(ADDR) with SQLite in ./$(DATA)
run: build
	./bin/koe serve --addr $(ADDR) --data-dir $(DATA)

## build: a static binary in bin/koe
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/koe ./cmd/koe

## test: vet, then every test with the race detector (fuzz seeds included)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

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
	rm -rf bin
