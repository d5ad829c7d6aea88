# afscore build. `make` builds build/afscore; `make test` runs every test in a
# normal build and again under AddressSanitizer + UBSan; `make demo` scores a
# generated sample population; `make bench` measures speed against the floor.

CC      ?= gcc
PKGS    := lua5.4 sqlite3 libcrypto
PKGCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -Iinclude $(PKGCFLAGS) $(EXTRA_CFLAGS)
LIBS    := $(PKGLIBS) -lm -lpthread
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

B       ?= build
SRCS    := $(wildcard src/*.c)
OBJS    := $(patsubst src/%.c,$(B)/obj/%.o,$(SRCS))
LIBOBJS := $(filter-out $(B)/obj/main.o,$(OBJS))
TESTSRC := $(wildcard tests/test_*.c)
TESTS   := $(patsubst tests/%.c,$(B)/tests/%,$(TESTSRC))
TESTSUP := $(wildcard tests/support/*.c)
TESTSUPOBJ := $(patsubst tests/support/%.c,$(B)/tobj/%.o,$(TESTSUP))

.PHONY: all test unit check-asan demo bench fuzz clean deps
# Keep intermediate objects (tests/support) between runs.
.SECONDARY:
all: $(B)/afscore

$(B)/obj/%.o: src/%.c $(wildcard include/*.h) | $(B)/obj
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/afscore: $(OBJS)
	$(CC) $(CFLAGS_ALL) -o $@ $(OBJS) $(LIBS)

$(B)/tobj/%.o: tests/support/%.c $(wildcard tests/support/*.h) $(wildcard include/*.h) | $(B)/tobj
	$(CC) $(CFLAGS_ALL) -Itests/support -c $< -o $@

$(B)/tests/%: tests/%.c $(LIBOBJS) $(TESTSUPOBJ) $(wildcard tests/support/*.h) | $(B)/tests
	$(CC) $(CFLAGS_ALL) -Itests/support -o $@ $< $(LIBOBJS) $(TESTSUPOBJ) $(LIBS) $(TESTLIBS)

$(B)/obj $(B)/tests $(B)/tobj:
	mkdir -p $@

# Run every test binary of build $(B); the e2e tests find the binary and the
# repository through the environment.
unit: $(B)/afscore $(TESTS)
	@AFSCORE_BIN=$(CURDIR)/$(B)/afscore AFSCORE_ROOT=$(CURDIR) AFSCORE_TMP=$(CURDIR)/$(B)/tmp \
	  bash scripts/run-tests.sh $(TESTS)

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The last line is the ASan+UBSan build's "N passed, N failed".
test: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory unit B=build/asan OPT="-O1 -g" EXTRA_CFLAGS="$(ASAN_FLAGS)" \
	  LIBS="$(LIBS) $(ASAN_FLAGS)"

deps:
	bash scripts/install-deps.sh

demo: deps all
	$(B)/afscore generate --families 20000 --seed 1 --out $(B)/demo.db
	$(B)/afscore check methodology/kz_family_2023.lua --db $(B)/demo.db
	$(B)/afscore score --db $(B)/demo.db --method methodology/kz_family_2023.lua --out $(B)/demo-results.db

$(B)/kernel_bench: bench/kernel_bench.c $(LIBOBJS)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBOBJS) $(LIBS)

bench: deps all $(B)/kernel_bench
	python3 bench/bench.py

clean:
	rm -rf build

# ---- fuzzing (libFuzzer; needs clang and libclang-rt-dev) ----
# `make fuzz` builds fuzz/fuzz_T.c for each T of FUZZ_TARGETS with
# -fsanitize=fuzzer,address,undefined and runs each for FUZZ_SECONDS,
# starting from the committed seed corpus (fuzz/corpus/*; new inputs go to
# build/fuzz/corpus/*). A crash leaves its input in build/fuzz/; keep it in
# fuzz/corpus/ so tests/test_fuzz_regress.c replays it. `make fuzz-smoke`
# runs each target for 10 s (for CI).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := build/fuzz
FUZZ_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -O1 -g -Iinclude $(PKGCFLAGS)
FUZZ_OBJS    := $(patsubst src/%.c,$(FUZZ_B)/obj/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZ_TARGETS := expr method csv
# The loader's fuzzer also starts from the shipped methodologies and fixtures.
FUZZ_METHOD_SEEDS := methodology tests/fixtures/methods

$(FUZZ_B)/obj/%.o: src/%.c $(wildcard include/*.h) | $(FUZZ_B)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $< $(FUZZ_OBJS) $(PKGLIBS) -lm -lpthread

$(FUZZ_B)/obj:
	mkdir -p $@

.PHONY: fuzz-build fuzz-smoke
fuzz-build: $(patsubst %,$(FUZZ_B)/fuzz_%,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_B)/corpus/$$t && \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s" && \
	  $(FUZZ_B)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=8192 -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/$$t- \
	    $(FUZZ_B)/corpus/$$t fuzz/corpus/$$t $$( [ $$t = method ] && echo $(FUZZ_METHOD_SEEDS) ) \
	    2>$(FUZZ_B)/fuzz_$$t.log \
	  || { tail -40 $(FUZZ_B)/fuzz_$$t.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::peak_rss" $(FUZZ_B)/fuzz_$$t.log; \
	done

fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

# The regression test includes the fuzz targets' sources.
$(B)/tests/test_fuzz_regress: $(wildcard fuzz/*.c)
