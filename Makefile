# logq — see README.md. `make run` and `make test` work on a fresh Debian machine: they install what is missing.
SWIFT ?= swift
SOURCES := Package.swift Sources Index Parsers Tests Fuzz
# Build libraries, and the tools the tests and benchmarks run (zstd, ripgrep and pcre2grep are the benchmarks' peers;
# rsyslog is a real syslog sender in the integration tests; Alertmanager posts its webhook to logqd; promtool lints /metrics; sqlite3 reads
# the incident database in tests; the libraries syslog-ng needs, as syslog-ng itself is unpacked apart: see syslog-ng below).
DEBIAN_PACKAGES := libzstd-dev liblz4-dev libpcre2-dev zlib1g-dev pkg-config libsqlite3-dev zstd ripgrep curl pcre2-utils rsyslog rsyslog-gnutls openssl sqlite3 prometheus-alertmanager prometheus libivykis0 libnet1 libpcre3 libwrap0 libjson-c5

.PHONY: deps build run test test-venv bench lint format clean fuzz fuzz-build fuzz-smoke syslog-ng

deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing Debian packages. Run:  sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

# One release build of every product: make run and make bench share it.
build: deps
	$(SWIFT) build -c release

run: build
	@echo "logqd: data in ./data, on 127.0.0.1: HTTP API 9900, TCP lines 5170, syslog 5514 (TCP and UDP), Beats 5044 (Ctrl-C stops)."
	@echo "Send a line:   echo '{\"level\":\"error\",\"service\":\"order\",\"message\":\"Payment failed\"}' > /dev/tcp/127.0.0.1/5170"
	@echo "Query it:      .build/release/logq 'level:error service:order'"
	@echo "Sample logs:   .build/release/logq gen --count 10000 > /dev/tcp/127.0.0.1/5170"
	.build/release/logqd

# Real Python shippers (python-logstash, pylogbeat) for the integration tests, from PyPI into their own
# virtualenv; the tests find it at .venv-test and skip with a message when it is missing.
TEST_VENV := .venv-test
test-venv:
	test -x $(TEST_VENV)/bin/python || python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q -r Tests/requirements.txt

# syslog-ng, a second real syslog sender for the tests. Its Debian package conflicts with rsyslog's (both are
# the system logger), so it is unpacked into .build/tools/syslog-ng and run from there, never installed.
SYSLOG_NG := .build/tools/syslog-ng
syslog-ng: deps
	@test -x $(SYSLOG_NG)/usr/sbin/syslog-ng || { \
		rm -rf $(SYSLOG_NG).download && mkdir -p $(SYSLOG_NG).download && cd $(SYSLOG_NG).download && \
		{ apt-get download syslog-ng-core 2>/dev/null || { apt-get update -qq && apt-get download syslog-ng-core; }; } && \
		dpkg -x syslog-ng-core_*.deb ../syslog-ng && cd .. && rm -rf syslog-ng.download; }

test: deps test-venv syslog-ng
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) fuzz-smoke

# libFuzzer targets for every decoder of untrusted bytes (Fuzz/FuzzTargets.swift, docs/fuzzing.md), built
# with coverage and AddressSanitizer in a build directory of their own. `make fuzz` runs each for
# FUZZ_SECONDS; `make test` runs each for 20,000 inputs from a fixed seed, so a regression that crashes on its
# corpus fails CI while a chance finding cannot turn CI red.
FUZZ_TARGETS := syslog-framer syslog-parser lumberjack json-lines bulk query grok segment wal alertmanager
FUZZ_SECONDS ?= 600
# SwiftPM's --sanitize fuzzer links libFuzzer but leaves the Swift code without coverage counters: without
# these, libFuzzer mutates blind ("no interesting inputs were found").
FUZZ_COVERAGE := -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
fuzz-build: deps
	$(SWIFT) build --sanitize fuzzer --sanitize address -Xswiftc -DLOGQ_FUZZING $(FUZZ_COVERAGE) --build-path .build/fuzz --product logq-fuzz

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	FUZZ_RUNS=20000 Fuzz/run.sh 120 $(FUZZ_TARGETS)

# The peers (tantivy, chdb) come from PyPI into a virtualenv of their own; SQLite FTS5 is Python's.
BENCH_VENV := .venv-bench
bench: build
	test -x $(BENCH_VENV)/bin/python || python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q -r bench/requirements.txt
	.build/release/logq-bench --bin .build/release --peers-python $(BENCH_VENV)/bin/python

# `@testable import` builds only with testing enabled: outside Tests/ it breaks the release build (make run).
lint:
	$(SWIFT) format lint --strict --recursive $(SOURCES)
	@! grep -rn "@testable" Sources Index Parsers Fuzz || { echo "@testable import outside Tests/ breaks swift build -c release"; exit 1; }

format:
	$(SWIFT) format format --in-place --recursive $(SOURCES)

clean:
	rm -rf .build
