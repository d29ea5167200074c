# Mini-Wikipedia article server: FastCGI app behind nginx.
#
#   make run     install what is missing, build, serve on 127.0.0.1:$(PORT)
#   make reload  roll a new build into the running stack, zero failed requests
#   make test    unit tests + integration tests against the real stack
#   make bench   capacity benchmarks (separate from tests; takes minutes)

CXX      ?= g++
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -MMD -MP
CPPFLAGS += -Ifcgi-app -Iloadtest -Itests
LIBS      = -lfcgi -linih -lgumbo -lgit2 -lz -lpthread
CURL_LIBS = -lcurl

BUILD    := build
PORT     ?= 8080
export PORT

APP_SRCS  := $(filter-out fcgi-app/main.cc fcgi-app/%_test.cc,$(wildcard fcgi-app/*.cc))
UNIT_SRCS := $(wildcard fcgi-app/*_test.cc) $(wildcard loadtest/*_test.cc) \
             tests/doctest_main.cc tests/test_util.cc \
             loadtest/storm.cc loadtest/http_client.cc
INTEG_SRCS:= $(wildcard tests/*_itest.cc) tests/doctest_main.cc tests/stack.cc \
             tests/test_util.cc tests/itest_util.cc \
             loadtest/http_client.cc loadtest/storm.cc
STORM_SRCS:= loadtest/editor_storm.cc loadtest/storm.cc loadtest/http_client.cc
PROBE_SRCS:= loadtest/front_probe.cc loadtest/http_client.cc

obj = $(patsubst %.cc,$(BUILD)/%.o,$(1))

APP_LIB   := $(BUILD)/libwiki.a
SERVER    := $(BUILD)/article-server
UNIT      := $(BUILD)/unit-tests
INTEG     := $(BUILD)/integration-tests
STORM     := $(BUILD)/editor-storm
WRITE_SPEED := $(BUILD)/write-speed
PROBE     := $(BUILD)/front-probe

.PHONY: all deps run reload test test-crash test-asan bench bench-front bench-write bench-rollout storm-compare format clean

all: $(SERVER) $(UNIT) $(INTEG) $(STORM) $(PROBE)

deps:
	@conf/install-deps.sh

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

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

$(WRITE_SPEED): $(call obj,loadtest/write_speed.cc loadtest/http_client.cc) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

$(PROBE): $(call obj,$(PROBE_SRCS)) $(APP_LIB)
	$(CXX) $(CXXFLAGS) $^ $(LIBS) $(CURL_LIBS) -o $@

# Foreground: nginx + spawn-fcgi/multiwatch workers; Ctrl-C stops them all.
run: deps all
	@exec conf/wikistack run

# Rolls the freshly built server into the stack `make run` started (same
# PORT/RUN_DIR), one worker at a time; SERVER_BIN=... rolls another binary
# (rollback: SERVER_BIN=$RUN_DIR/bin/article-server.prev).
reload: deps $(SERVER)
	@exec conf/wikistack reload

test: deps all
	@tests/run-all

bench: deps all $(WRITE_SPEED)
	@loadtest/bench
	@loadtest/bench-front
	@loadtest/write-speed
	@loadtest/rollout-bench

# A rollout and a rollback under a read flood and 10 edit attempts/s.
bench-rollout: deps $(SERVER) $(STORM)
	@loadtest/rollout-bench

# How fast edits land: concurrent editors raised until save p99 > 100 ms.
bench-write: deps $(SERVER) $(WRITE_SPEED)
	@loadtest/write-speed

# The whole-stack crash storm, long version (make test runs 3 rounds).
test-crash: deps all
	WIKI_CRASH_ROUNDS=$${WIKI_CRASH_ROUNDS:-20} $(BUILD)/integration-tests -tc='Crash storm*'

# The default stack (front cache) against static nginx, edits landing.
bench-front: deps all
	@loadtest/bench-front

# The integration tests against a server built with AddressSanitizer and
# UBSan (the workers' reports land in each stack's fcgi-error.log; a worker
# that trips one dies, and the tests see it).
test-asan: deps all
	$(MAKE) BUILD=$(BUILD)/asan CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  $(BUILD)/asan/article-server
	SERVER_BIN=$(CURDIR)/$(BUILD)/asan/article-server ASAN_OPTIONS=detect_leaks=0 \
	  $(BUILD)/integration-tests

# The default editor storm against merge = word, line and off, side by side.
storm-compare: deps all
	@loadtest/storm-compare

format:
	clang-format -i fcgi-app/*.h fcgi-app/*.cc tests/*.h tests/*.cc loadtest/*.h loadtest/*.cc

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
