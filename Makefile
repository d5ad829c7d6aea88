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
	@fail=0; for t in $(TESTS); do \
	  AFSCORE_BIN=$(CURDIR)/$(B)/afscore AFSCORE_ROOT=$(CURDIR) AFSCORE_TMP=$(CURDIR)/$(B)/tmp \
	    $$t || fail=1; \
	done; exit $$fail

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
test: all
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory unit B=build/asan OPT="-O1 -g" EXTRA_CFLAGS="$(ASAN_FLAGS)" \
	  LIBS="$(LIBS) $(ASAN_FLAGS)"
	@echo "all tests passed (normal and ASan+UBSan builds)"

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
