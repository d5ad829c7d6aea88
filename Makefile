# afscore build. `make` builds build/afscore; `make test` runs every test in a
# normal build, again under AddressSanitizer + UBSan, and the two-thread tests
# under ThreadSanitizer (`make tsan`); `make demo` scores a generated sample
# population; `make bench` measures speed against the floor. demo, test and
# bench first install what a fresh Debian machine lacks (install-deps.sh).

# gcc unless the user names another compiler (make's own default is cc).
ifeq ($(origin CC),default)
CC      := gcc
endif
PKGS    := lua5.4 sqlite3 libcrypto
# Asked when make reads this file: on a fresh machine that is before
# install-deps.sh ran, so demo, test and bench run make again after it.
PKGCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_OK    := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo 1)
# -Werror is for development and CI (make test and .ci/run set WERROR=1); a
# user's first build should not stop on a warning a newer compiler adds.
WERROR  ?= 0
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror)
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT     ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -Iinclude $(PKGCFLAGS) $(EXTRA_CFLAGS)
# Each object also writes the headers it read (a .d file make includes).
DEPFLAGS = -MMD -MP -MF $@.d
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
# `make unit ONLY="test_store test_e2e_af"` runs just those.
ONLY    ?=
RUN     := $(if $(ONLY),$(patsubst %,$(B)/tests/%,$(ONLY)),$(TESTS))

.PHONY: all test unit demo bench fuzz clean deps pkgcheck FORCE test-steps demo-steps bench-steps tsan \
	screenshots
# Keep intermediate objects (tests/support) between runs.
.SECONDARY:
all: $(B)/afscore

# Stop with a clear message, not "lauxlib.h: No such file", when the
# development packages are missing.
pkgcheck:
ifneq ($(PKG_OK),1)
	@echo "afscore: pkg-config finds no $(PKGS): run 'make deps' first (make demo and make test do)" >&2
	@exit 1
endif

# The flags a build directory was compiled with: objects are rebuilt when
# they change (WERROR, OPT, sanitizers), not only when a source does.
$(B)/flags: FORCE | $(B)/obj
	@echo '$(CC) $(CFLAGS_ALL) $(LIBS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS_ALL) $(LIBS)' > $@

$(B)/obj/%.o: src/%.c $(B)/flags | $(B)/obj pkgcheck
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -c $< -o $@

$(B)/afscore: $(OBJS)
	$(CC) $(CFLAGS_ALL) -o $@ $(OBJS) $(LIBS)

$(B)/tobj/%.o: tests/support/%.c $(B)/flags | $(B)/tobj pkgcheck
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -Itests/support -c $< -o $@

$(B)/tests/%: tests/%.c $(LIBOBJS) $(TESTSUPOBJ) | $(B)/tests
	$(CC) $(CFLAGS_ALL) $(DEPFLAGS) -Itests/support -o $@ $< $(LIBOBJS) $(TESTSUPOBJ) $(LIBS) $(TESTLIBS)

$(B)/obj $(B)/tests $(B)/tobj:
	mkdir -p $@

-include $(wildcard $(B)/obj/*.d $(B)/tobj/*.d $(B)/tests/*.d)

# Run the test binaries of build $(B) (or those ONLY names); the e2e tests find
# the binary and the repository through the environment.
unit: $(B)/afscore $(RUN)
	@AFSCORE_BIN=$(CURDIR)/$(B)/afscore AFSCORE_ROOT=$(CURDIR) AFSCORE_TMP=$(CURDIR)/$(B)/tmp \
	  bash scripts/run-tests.sh $(RUN)

# demo, test and bench: install what is missing, then run make again so that
# pkg-config is asked after the packages are there.
demo test bench: deps
	@$(MAKE) --no-print-directory $@-steps

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread
# The tests that score, compare and merge with two threads over several
# batches (stored and shuffled data, one and two threads).
TSAN_TESTS := test_e2e_order test_e2e_merge
# Each build ends with its "N passed, N failed, N skipped" line.
test-steps:
	$(MAKE) --no-print-directory unit WERROR=1
	$(MAKE) --no-print-directory unit WERROR=1 B=build/asan OPT="-O1 -g" EXTRA_CFLAGS="$(ASAN_FLAGS)" \
	  LIBS="$(LIBS) $(ASAN_FLAGS)"
	$(MAKE) --no-print-directory tsan WERROR=1

# ThreadSanitizer: any report ends the afscore process with an error, which
# fails the test that ran it.
tsan:
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $(TSAN_OPTIONS)" \
	  $(MAKE) --no-print-directory unit B=build/tsan OPT="-O1 -g" EXTRA_CFLAGS="$(TSAN_FLAGS)" \
	  LIBS="$(LIBS) $(TSAN_FLAGS)" ONLY="$(TSAN_TESTS)"

deps:
	bash scripts/install-deps.sh

# The demo's results start afresh, so run 1 is the shipped methodology and
# run 2 the example proposal; the one-run report is build/demo-report.html.
demo-steps: all
	$(B)/afscore generate --families 20000 --seed 1 --out $(B)/demo.db
	$(B)/afscore check methodology/kz_family_2023.lua --db $(B)/demo.db
	rm -f $(B)/demo-results.db $(B)/demo-results.db-wal $(B)/demo-results.db-shm
	$(B)/afscore score --db $(B)/demo.db --method methodology/kz_family_2023.lua --out $(B)/demo-results.db
	$(B)/afscore score --db $(B)/demo.db --method methodology/kz_family_2023_proposal.lua \
	  --out $(B)/demo-results.db > /dev/null
	$(B)/afscore report --out $(B)/demo-results.db --run 1 --html $(B)/demo-report.html --force
	$(B)/afscore report --out $(B)/demo-results.db --run 1 --run 2 --html $(B)/demo-report-two.html --force

# The README's pictures of both reports (docs/report-one.png, report-two.png),
# rendered by headless Chromium from the demo's reports, 1000 px wide.
SHOT := chromium --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars \
	  --user-data-dir=$(B)/chromium-profile --window-size=1000,1900
screenshots: demo
	@command -v chromium >/dev/null || { echo "make screenshots: chromium is missing (make deps)" >&2; exit 1; }
	$(SHOT) --screenshot=docs/report-one.png file://$(CURDIR)/$(B)/demo-report.html 2>/dev/null
	$(SHOT) --screenshot=docs/report-two.png file://$(CURDIR)/$(B)/demo-report-two.html 2>/dev/null

$(B)/kernel_bench: bench/kernel_bench.c $(LIBOBJS)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBOBJS) $(LIBS)

bench-steps: all $(B)/kernel_bench
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

$(FUZZ_B)/obj/%.o: src/%.c | $(FUZZ_B)/obj pkgcheck
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) $(DEPFLAGS) -c $< -o $@

-include $(wildcard $(FUZZ_B)/obj/*.d)

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
