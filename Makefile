# samhand — broker daemon, client library and CLI.
# make            build everything into build/ (or build-san/ with SANITIZE=1)
# make check      build and run every test; last line "N passed, N failed"
# make demo       install missing packages, build, run the demo scenario
# make bench      run the benchmark (prints figures, never fails on a time)
# make fuzz       build the libFuzzer targets with clang and run each briefly
# make marathon   kill -9 the broker 25 times under 24,000 submits (long; prints figures)
# make fault-long walk an injected I/O error over every write of the fault scenario
# make check LONG=1  the same two long runs inside make check

CC      ?= cc
PKGS    := libczmq libzmq libprotobuf-c sqlite3 libcrypto
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra -Werror
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

ifeq ($(SANITIZE),1)
B       := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
B       := build
endif

GEN     := $(B)/gen
INC     := -I$(GEN) -Idaemon -Iclients/libsamhand
FUZZ_SECONDS ?= 20

DAEMON_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJ  := $(patsubst daemon/%.c,$(B)/daemon/%.o,$(DAEMON_SRC)) $(GEN)/samhand.pb-c.o
CLIENT_SRC  := $(wildcard clients/libsamhand/*.c)
CLIENT_OBJ  := $(patsubst clients/libsamhand/%.c,$(B)/client/%.o,$(CLIENT_SRC)) $(GEN)/samhand.pb-c.o
CLI_SRC     := $(wildcard clients/cli/*.c)
CLI_OBJ     := $(patsubst clients/cli/%.c,$(B)/cli/%.o,$(CLI_SRC))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
ITEST_SRC   := $(wildcard tests/integration/itest_*.c)
ITEST_BIN   := $(patsubst tests/integration/%.c,$(B)/tests/%,$(ITEST_SRC))
HARNESS_OBJ := $(B)/tests/harness.o

.PHONY: all check demo bench fuzz fuzz-run clean deps install marathon fault-long
all: $(B)/samhandd $(B)/samhandd-fault $(B)/samhand $(B)/libsamhand.a $(B)/samhand.pc $(UNIT_BIN) $(ITEST_BIN) $(B)/bench_submit $(B)/bench_parts

deps:
	@scripts/install-deps.sh

$(GEN)/samhand.pb-c.c $(GEN)/samhand.pb-c.h: proto/samhand.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) proto/samhand.proto

$(GEN)/samhand.pb-c.o: $(GEN)/samhand.pb-c.c
	$(CC) $(CFLAGS) -Wno-unused-parameter $(INC) -c $< -o $@

$(B)/daemon/%.o: daemon/%.c $(GEN)/samhand.pb-c.h $(wildcard daemon/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) -c $< -o $@

$(B)/client/%.o: clients/libsamhand/%.c $(GEN)/samhand.pb-c.h $(wildcard clients/libsamhand/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC $(INC) -c $< -o $@

$(B)/cli/%.o: clients/cli/%.c $(GEN)/samhand.pb-c.h $(wildcard clients/libsamhand/*.h clients/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iclients/cli -I$(GEN) -Iclients/libsamhand -c $< -o $@

$(B)/libsamhandd.a: $(DAEMON_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/libsamhand.a: $(CLIENT_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/samhand.pc: clients/libsamhand/samhand.pc.in
	sed -e 's|@PREFIX@|$(or $(PREFIX),/usr/local)|' $< > $@

$(B)/samhandd: $(B)/daemon/main.o $(B)/libsamhandd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test broker: samhandd plus tests/fault/testhooks.c (a failing sqlite
# VFS and an injectable clock, controlled by environment variables). The
# production samhandd is built from the same objects without it.
$(B)/tests/testhooks.o: tests/fault/testhooks.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSAMHAND_TESTHOOKS -c $< -o $@

$(B)/samhandd-fault: $(B)/daemon/main.o $(B)/tests/testhooks.o $(B)/libsamhandd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/daemon/main.o: daemon/main.c $(GEN)/samhand.pb-c.h $(wildcard daemon/*.h)

$(B)/samhand: $(CLI_OBJ) $(B)/libsamhand.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libsamhandd.a tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INC) -Itests $(LDFLAGS) -o $@ $< $(B)/libsamhandd.a $(LDLIBS)

$(HARNESS_OBJ): tests/integration/harness.c tests/integration/harness.h $(GEN)/samhand.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Itests -c $< -o $@


$(B)/tests/itest_%: tests/integration/itest_%.c $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Iclients/libsamhand -Itests -Itests/integration $(LDFLAGS) -o $@ $< $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o $(LDLIBS)

$(B)/bench_parts: tests/bench/bench_parts.c $(B)/libsamhandd.a
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_submit: tests/bench/bench_submit.c $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o
	$(CC) $(CFLAGS) -I$(GEN) -Itests -Itests/integration $(LDFLAGS) -o $@ $^ $(LDLIBS)

CHECK_SCRIPTS := $(wildcard tests/cli/*.sh) tests/interop/run.sh

LONG_ENV := $(if $(filter 1,$(LONG)),SAMHAND_MARATHON_LONG=1 SAMHAND_FAULT_LONG=1 SAMHAND_TEST_TIMEOUT=3600)

check:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) $(LONG_ENV) tests/run.sh $(UNIT_BIN) $(ITEST_BIN) $(CHECK_SCRIPTS)

marathon:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_MARATHON_LONG=1 SAMHAND_TEST_TIMEOUT=3600 tests/run.sh $(B)/tests/itest_marathon

fault-long:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_FAULT_LONG=1 SAMHAND_TEST_TIMEOUT=3600 tests/run.sh $(B)/tests/itest_fault

bench:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) tests/bench/run.sh

demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) scripts/demo.sh

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build-fuzz/gen/samhand.pb-c.c: proto/samhand.proto
	@mkdir -p build-fuzz/gen
	protoc-c --proto_path=proto --c_out=build-fuzz/gen proto/samhand.proto
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/gen/samhand.pb-c.c $(filter-out daemon/main.c,$(wildcard daemon/*.c))
	clang -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -Ibuild-fuzz/gen -Idaemon $(shell pkg-config --cflags $(PKGS)) -o $@ $< \
	  build-fuzz/gen/samhand.pb-c.c $(filter-out daemon/main.c,$(wildcard daemon/*.c)) $(LDLIBS)
fuzz:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory fuzz-run

fuzz-run: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  mkdir -p build-fuzz/corpus/$$(basename $$t); \
	  if ! $$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 build-fuzz/corpus/$$(basename $$t) \
	       > build-fuzz/$$(basename $$t).log 2>&1; then \
	    tail -40 build-fuzz/$$(basename $$t).log; echo "fuzz: $$t FAILED"; exit 1; fi; \
	  tail -1 build-fuzz/$$(basename $$t).log; done

clean:
	rm -rf build build-san build-fuzz
