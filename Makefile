# Herald's everyday commands. Go is the only requirement.
GO      ?= go
BIN     ?= bin/herald
VERSION ?= dev

.PHONY: build run serve test bench load lint image mutation

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/herald

IMAGE ?= herald:$(VERSION)

# The container image, FROM scratch: a static binary and nothing else.
image:
	mkdir -p bin/image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/image/herald ./cmd/herald
	cp Dockerfile bin/image/Dockerfile
	docker build -t $(IMAGE) bin/image

# The main job: the conformance suite against an in-process simulator.
run:
	$(GO) run ./cmd/herald test

serve: build
	$(BIN) serve

# Every test: unit, spec and vendor-example tests, the suite in-process,
# and herald test against herald serve in another process.
test:
	$(GO) test -count=1 -race -timeout 30m ./...

# Mutation testing of the simulator's engine and systems, one package at a
# time (slow: 20 to 70 minutes a package on two cores; not part of test or
# CI). gremlins is pinned here, so a fresh clone runs the same version; each
# package must kill MUTATION_GATE % of the mutants its tests cover.
# One package: make mutation MUTATION_PKGS=engine
GREMLINS        ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATION_PKGS   ?= engine mopay mnotify monnet
MUTATION_GATE   ?= 90

mutation:
	@fail=0; for p in $(MUTATION_PKGS); do \
		echo "== simulator/$$p"; \
		GOFLAGS=-count=1 $(GREMLINS) unleash --workers 1 --timeout-coefficient 10 \
			--threshold-efficacy $(MUTATION_GATE) ./simulator/$$p || fail=1; \
	done; exit $$fail

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./simulator/...

# req/s of herald serve against a bare net/http server, same load generator.
load: build
	$(GO) run ./cmd/herald-load -herald $(BIN)

# staticcheck, pinned: a new release brings new checks, which a change of
# this line, not a lint run, should bring in.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
