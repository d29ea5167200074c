# Mini-Wikipedia article server: FastCGI app behind nginx.
#
#   make run     install what is missing, build, serve on 127.0.0.1:$(PORT)
#   make reload  roll a new build into the running stack, zero failed requests
#   make test    unit tests + integration tests against the real stack
#   make bench   capacity benchmarks (separate from tests; takes minutes)
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (default 60)
#
# Each goal builds only what it needs (make run: the server alone), in
# parallel on every core unless -j is given on the command line.

ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(shell nproc)
endif
MAKEFLAGS += --no-print-directory

CXX      ?= g++
CXXFLAGS ?= -O2 -g
# Always used, whatever CXXFLAGS says (make test-asan replaces CXXFLAGS).
WIKI_CXXFLAGS := -std=c++17 -Wall -Wextra -Werror -MMD -MP
CPPFLAGS += -Ifcgi-app -Iloadtest -Itests
LIBS      = -lfcgi -linih -lgumbo -lgit2 -lmbedcrypto -lz -lzstd -lbrotlienc -lbrotlidec -lpthread
CURL_LIBS = -lcurl

BUILD    := build
PORT     ?= 8080
export PORT

APP_SRCS  := $(filter-out fcgi-app/main.cc fcgi-app/%_test.cc,$(wildcard fcgi-app/*.cc))
UNIT_SRCS := $(wildcard fcgi-app/*_test.cc) $(wildcard loadtest/*_test.cc) \
             tests/doctest_main.cc tests/test_util.cc \
             loadtest/storm.cc loadtest/http_client.cc loadtest/history_gen.cc \
             loadtest/open_loop.cc
INTEG_SRCS:= $(wildcard tests/*_itest.cc) tests/doctest_main.cc tests/stack.cc \
             tests/test_util.cc tests/itest_util.cc \
             loadtest/http_client.cc loadtest/storm.cc loadtest/slow_clients.cc
STORM_SRCS:= loadtest/editor_storm.cc loadtest/storm.cc loadtest/http_client.cc
PROBE_SRCS:= loadtest/front_probe.cc loadtest/http_client.cc
OPEN_LOOP_SRCS := loadtest/open_loop_main.cc loadtest/open_loop.cc
FIB_SRCS  := loadtest/fib_time.cc
WRITE_SPEED_SRCS := loadtest/write_speed.cc loadtest/http_client.cc
MAKE_HISTORY_SRCS := loadtest/make_history.cc loadtest/history_gen.cc
SLOWLORIS_SRCS := loadtest/slowloris_bench.cc loadtest/slow_clients.cc \
                  loadtest/http_client.cc

obj = $(patsubst %.cc,$(BUILD)/%.o,$(1))

APP_LIB   := $(BUILD)/libwiki.a
SERVER    := $(BUILD)/article-server
UNIT      := $(BUILD)/unit-tests
INTEG     := $(BUILD)/integration-tests
STORM     := $(BUILD)/editor-storm
WRITE_SPEED := $(BUILD)/write-speed
PROBE     := $(BUILD)/front-probe
OPEN_LOOP := $(BUILD)/open-loop
FIB_TIME  := $(BUILD)/fib-time
MAKE_HISTORY := $(BUILD)/make-history
SLOWLORIS := $(BUILD)/slowloris-bench

.PHONY: all deps run reload test test-crash test-asan bench bench-front bench-open bench-edge bench-write bench-rollout bench-history bench-pack bench-slowloris storm-compare format clean \
        fuzz fuzz-build fuzz-lib

all: $(SERVER) $(UNIT) $(INTEG) $(STORM) $(PROBE) $(OPEN_LOOP) $(FIB_TIME) $(WRITE_SPEED) $(MAKE_HISTORY) $(SLOWLORIS)

# Installs missing packages. An order-only prerequisite of every object, so
# that no compiler starts (in any -j order) before the headers are there.
deps:
	@conf/install-deps.sh

$(BUILD)/%.o: %.cc | deps
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(WIKI_CXXFLAGS) $(CXXFLAGS) -c $< -o $@

$(APP_LIB): $(call obj,$(APP_SRCS))
	ar rcs $@ $^

$(SERVER): $(call obj,fcgi-app/main.cc) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) -o $@

$(UNIT): $(call obj,$(UNIT_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

$(INTEG): $(call obj,$(INTEG_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

$(STORM): $(call obj,$(STORM_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

$(WRITE_SPEED): $(call obj,$(WRITE_SPEED_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

# Generates N revisions through the store (loadtest/make_history.cc).
$(MAKE_HISTORY): $(call obj,$(MAKE_HISTORY_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) -o $@

$(SLOWLORIS): $(call obj,$(SLOWLORIS_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

$(PROBE): $(call obj,$(PROBE_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

# The open-loop load generator (loadtest/open_loop_main.cc).
$(OPEN_LOOP): $(call obj,$(OPEN_LOOP_SRCS))
	$(CXX) $(CXXFLAGS) $^ -o $@

# The massaging step timed alone (make bench).
$(FIB_TIME): $(call obj,$(FIB_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) -o $@

# Foreground: nginx + spawn-fcgi/multiwatch workers; Ctrl-C stops them all.
run: $(SERVER) | deps
	@exec conf/wikistack run

# Rolls the freshly built server into the stack `make run` started (same
# PORT/RUN_DIR), one worker at a time; SERVER_BIN=... rolls another binary
# (rollback: SERVER_BIN=$RUN_DIR/bin/article-server.prev).
reload: $(SERVER) | deps
	@exec conf/wikistack reload

# The integration tests start conf/wikistack with build/article-server;
# tests/fuzz-smoke runs each fuzz target for a few seconds.
test: $(SERVER) $(UNIT) $(INTEG) fuzz-build | deps
	@tests/run-all

bench: $(SERVER) $(STORM) $(FIB_TIME) $(PROBE) $(OPEN_LOOP) $(WRITE_SPEED) $(SLOWLORIS) $(MAKE_HISTORY) | deps
	@loadtest/bench
	@loadtest/bench-front
	@loadtest/write-speed
	@loadtest/rollout-bench
	@loadtest/bench-slowloris
	@loadtest/bench-edge
	@loadtest/bench-pack

# A reader's p50/p99 with and without 200 slow-header connections from
# 127.0.0.2 (loadtest/bench-slowloris).
bench-slowloris: $(SERVER) $(SLOWLORIS) | deps
	@loadtest/bench-slowloris

# A worker's RSS, start-up time and history-page latency with 10 and with
# 1,000,000 revisions (loadtest/bench-history).
bench-history: $(SERVER) $(MAKE_HISTORY) | deps
	@loadtest/bench-history

# Bytes per revision over 20,000 small edits with old revisions packed, and
# ?oldid= latency of packed revisions (loadtest/bench-pack).
bench-pack: $(SERVER) $(MAKE_HISTORY) | deps
	@loadtest/bench-pack

# A rollout and a rollback under a read flood and 10 edit attempts/s.
bench-rollout: $(SERVER) $(STORM) | deps
	@loadtest/rollout-bench

# How fast edits land: concurrent editors raised until save p99 > 100 ms.
bench-write: $(SERVER) $(WRITE_SPEED) $(OPEN_LOOP) $(FIB_TIME) | deps
	@loadtest/write-speed

# The whole-stack crash storm, long version (make test runs 3 rounds).
test-crash: $(SERVER) $(INTEG) | deps
	WIKI_CRASH_ROUNDS=$${WIKI_CRASH_ROUNDS:-20} $(BUILD)/integration-tests -tc='Crash storm*'

# Reads from an edge cache against the origin's front cache, edits landing.
bench-edge: $(SERVER) | deps
	@loadtest/bench-edge

# The default stack (front cache) against static nginx, edits landing.
bench-front: $(SERVER) $(PROBE) $(OPEN_LOOP) $(FIB_TIME) | deps
	@loadtest/bench-front

# Only bench-front's open-loop run: OPEN_RATE (20000) req/s offered for
# OPEN_SECONDS (30) to the default stack, edits landing; latency from each
# request's intended send time.
bench-open: $(SERVER) $(PROBE) $(OPEN_LOOP) $(FIB_TIME) | deps
	@BENCH_OPEN_ONLY=1 loadtest/bench-front

# The integration tests against a server built with AddressSanitizer and
# UBSan (the workers' reports land in each stack's fcgi-error.log; a worker
# that trips one dies, and the tests see it).
test-asan: $(INTEG) | deps
	$(MAKE) BUILD=$(BUILD)/asan CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  $(BUILD)/asan/article-server
	SERVER_BIN=$(CURDIR)/$(BUILD)/asan/article-server ASAN_OPTIONS=detect_leaks=0 \
	  $(BUILD)/integration-tests

# libFuzzer targets (fuzz/*_fuzz.cc), built with clang, ASan and UBSan
# against a libwiki.a of their own; fuzz/run keeps the growing corpus and
# crash artifacts under $(FUZZ_DIR), seeding from fuzz/corpus/<target>/.
FUZZ_SECONDS  ?= 60
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_CXXFLAGS := -std=c++17 -O1 -g -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS     := $(patsubst fuzz/%.cc,$(FUZZ_DIR)/%,$(wildcard fuzz/*_fuzz.cc))

fuzz-lib:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) CXX=clang++ \
	  CXXFLAGS="$(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -MMD -MP" \
	  $(FUZZ_DIR)/libwiki.a

$(FUZZ_DIR)/%_fuzz: fuzz/%_fuzz.cc fuzz/fuzz_util.h fuzz-lib
	clang++ $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $< \
	  $(FUZZ_DIR)/libwiki.a $(LIBS) -o $@

fuzz-build: $(FUZZ_BINS) | deps

fuzz: fuzz-build
	@fuzz/run $(FUZZ_SECONDS)

# The default editor storm against merge = word, line and off, side by side.
storm-compare: $(SERVER) $(STORM) | deps
	@loadtest/storm-compare

format:
	clang-format -i fcgi-app/*.h fcgi-app/*.cc tests/*.h tests/*.cc loadtest/*.h loadtest/*.cc

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
