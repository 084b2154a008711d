# ftpcoord: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
GO ?= go
# Test servers (PostgreSQL, MariaDB) on loopback; prints FTPCOORD_TEST_* exports.
SERVICES := bash tests/services/start.sh
# Packages whose tests run with the race detector (all of them, for now).
RACE ?= -race
TEST_TIMEOUT ?= 15m
# How long each fuzz target runs in `make fuzz` (make test runs their seed corpora).
FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzListingLine:./core/remote FuzzSFTPWatch:./core/remote FuzzDecodeConfig:./core/listener FuzzParseConfig:./cmd/ftpcoord FuzzVersionKey:./core/ledger

.PHONY: all build lib jni test-natives java java-check test fuzz services services-stop bench bench-peers chaos soak demo lint fmt clean

all: build

build:
	$(GO) build ./...
	mkdir -p build
	$(GO) build -o build/ftpcoord ./cmd/ftpcoord

## lint: gofmt and go vet must be clean.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## services: start the throwaway test servers (idempotent).
services:
	$(SERVICES)

services-stop:
	bash tests/services/stop.sh

## test: lint, start the services, run every Go test against them (the fuzz
## targets' seed corpora included), then the C ABI tests (the host's library,
## then each shipped Java native on its platform: test-natives), the Java
## tests, and the Java artifacts' check (java-check). Timed fuzzing is
## `make fuzz`: on a loaded machine its engine can miss its own deadlines.
test: lint lib
	eval "$$($(SERVICES))"; \
	$(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) -json ./... \
	  | $(GO) run ./internal/tools/testsummary -no-skips; \
	bash tests/capi/run.sh; \
	bash tests/capi/cross.sh; \
	bash bindings/java/run-tests.sh; \
	bash bindings/java/reproducible.sh

## fuzz: run each fuzz target for FUZZTIME (seed corpora in the test files).
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $${t%%:*} for $(FUZZTIME)"; \
	  out=$$($(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) "$${t#*:}" 2>&1) || { echo "$$out"; exit 1; }; \
	  echo "$$out" | tail -n 1; \
	done

## lib: the C ABI, build/libftpcoord.so and its header build/ftpcoord.h.
lib:
	mkdir -p build
	$(GO) build -buildmode=c-shared -o build/libftpcoord.so ./capi
	rm -f build/libftpcoord.h  # cgo's own; ftpcoord.h is the documented one
	cp capi/ftpcoord.h build/ftpcoord.h

## jni: the Java bindings' native half for every platform the JAR ships,
## build/java-native/<platform>/ (linux-x86_64, linux-aarch64, windows-x86_64:
## libftpcoord and the JNI glue, cross-built with cgo; bindings/java/natives.sh).
jni:
	bash bindings/java/natives.sh

## test-natives: each shipped native verified on its platform: the C ABI tests
## under qemu-user (linux-aarch64) and wine (windows-x86_64), and a load of the
## JNI glue as the Java loader does it (tests/capi/cross.sh; make test runs it).
test-natives:
	bash tests/capi/cross.sh

## java: the Java bindings' JAR with the natives of every platform inside
## (bindings/java/target/ftpcoord-*.jar), the Spring module's JAR
## (bindings/java/spring/target/), and the sources and javadoc JARs of both.
java: jni
	cd bindings/java && mvn -q -B -Dstyle.color=never -DskipTests -f reactor/pom.xml package 2>&1 | sed 's/\x1b\[0m//g'

## java-check: `make java` twice in two copies of the tree: the same bytes for
## every native and JAR, and the JARs hold what they must (bindings/java/reproducible.sh).
java-check:
	bash bindings/java/reproducible.sh

## bench: failover delay and idle database load per dialect (bench/coordination.md),
## failover after a SIGKILL of a member process at the defaults (bench/crashfailover.md),
## polls of large directories against the bare listing (bench/listing.md), ledger
## throughput and statements per file (bench/ledger.md), the cost of one scrape of the
## backlog signals with 100,000 files (bench/backlog.md), files per second through one
## member against a bare download loop (bench/endtoend.md), the cost of one event
## across the C ABI and JNI against the same events in Go (bench/jni.md), shared mode
## by member count and 50 idle groups on one database (bench/scale.md), the same
## curve with the ftpcoord command as the members, 3 runs per point (bench/scale-binary.md).
bench: java
	eval "$$($(SERVICES) postgres mariadb pureftpd sshd)"; \
	$(GO) run ./bench/coordination -out bench/coordination.md; \
	$(GO) run ./bench/crashfailover -out bench/crashfailover.md; \
	$(GO) run ./bench/listing -out bench/listing.md; \
	$(GO) run ./bench/ledger -out bench/ledger.md; \
	$(GO) run ./bench/backlog -out bench/backlog.md; \
	$(GO) run ./bench/endtoend -out bench/endtoend.md; \
	$(GO) run ./bench/jni -out bench/jni.md; \
	(eval "$$(bash bench/scale/servers.sh)"; $(GO) run ./bench/scale -out bench/scale.md); \
	$(GO) run ./bench/scale -binary -members 1,2,4 -files 1000 -rounds 3 -out bench/scale-binary.md; \
	$(GO) run ./bench/results -out bench/RESULTS.md

## bench-peers: ftpcoord side by side with Apache Camel and Spring Integration
## (bench/peers: Java 17 programs built with Maven) on the same pure-ftpd and
## PostgreSQL, each at concurrency 1 and 8 (ftpcoord also at its defaults), 5
## rounds in rotated order: throughput, SIGKILLs of the active instance at
## random phases under arrivals. Appends every run's record to
## bench/peers/runs/<date>.jsonl and writes bench/peers.md from all of them.
## Heavy (about 40 minutes on 2 cores); not part of make test or make bench.
## A trial that should not join the recorded runs nor rewrite the report:
## go run ./bench/peers -runs 1 -columns camel-1,ftpcoord-1 -runs-dir /tmp/peers-trial
PEERS_FLAGS ?=
bench-peers:
	eval "$$($(SERVICES) postgres pureftpd)"; \
	$(GO) run ./bench/peers $(PEERS_FLAGS) -out bench/peers.md

## chaos: the fault matrix (tests/chaos/matrix): every scenario on every dialect, three
## member processes with thousands of files; prints a table, writes bench/chaos.md, and
## fails on any file lost or completed twice or two members active at once.
chaos:
	eval "$$($(SERVICES) postgres mariadb pureftpd)"; \
	$(GO) run ./tests/chaos/matrix -out bench/chaos.md

## soak: a group under steady arrivals and periodic faults for SOAK_DURATION (10m);
## fails on growth of memory, goroutines or connections; writes bench/soak.md.
SOAK_DURATION ?= 10m
soak:
	eval "$$($(SERVICES) postgres mariadb pureftpd)"; \
	$(GO) run ./tests/soak -duration $(SOAK_DURATION) -out bench/soak.md

## demo: the one-command tour: an in-process FTP server, an SQLite file,
## three member processes, a crash of the active member, a summary. No
## servers to install; under a minute.
demo:
	mkdir -p build
	$(GO) build -o build/ftpcoord ./cmd/ftpcoord
	./build/ftpcoord demo

clean:
	$(GO) clean ./...
