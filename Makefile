# Mini-Wikipedia article server: FastCGI app behind nginx.
#
#   make run     install what is missing, build, serve on 127.0.0.1:$(PORT)
#   make test    unit tests + integration tests against the real stack
#   make bench   capacity benchmarks (separate from tests; takes minutes)
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (default 60)

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

obj = $(patsubst %.cc,$(BUILD)/%.o,$(1))

APP_LIB   := $(BUILD)/libwiki.a
SERVER    := $(BUILD)/article-server
UNIT      := $(BUILD)/unit-tests
INTEG     := $(BUILD)/integration-tests
STORM     := $(BUILD)/editor-storm

.PHONY: all deps run test test-asan bench storm-compare format clean \
        fuzz fuzz-build fuzz-lib

all: $(SERVER) $(UNIT) $(INTEG) $(STORM)

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

# Foreground: nginx + spawn-fcgi/multiwatch workers; Ctrl-C stops them all.
run: deps all
	@exec conf/wikistack run

test: deps all fuzz-build
	@tests/run-all

bench: deps all
	@loadtest/bench

# The integration tests against a server built with AddressSanitizer and
# UBSan (the workers' reports land in each stack's fcgi-error.log; a worker
# that trips one dies, and the tests see it).
test-asan: deps all
	$(MAKE) BUILD=$(BUILD)/asan CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer" \
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

fuzz-build: deps $(FUZZ_BINS)

fuzz: fuzz-build
	@fuzz/run $(FUZZ_SECONDS)

# The default editor storm against merge = word, line and off, side by side.
storm-compare: deps all
	@loadtest/storm-compare

format:
	clang-format -i fcgi-app/*.h fcgi-app/*.cc tests/*.h tests/*.cc loadtest/*.h loadtest/*.cc

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
