# samhand — broker daemon, client library and CLI.
# make            build everything into build/ (or build-san/ with SANITIZE=1)
# make check      build and run every test; last line "N passed, N failed"
# make demo       install missing packages, build, run the demo scenario
# make web-demo   broker + a samhand-web per demo node on loopback, until Ctrl-C
# make web-screenshots  the browser tests, saving the pages' PNGs in docs/screenshots
# make bench      run the benchmark (prints figures, never fails on a time)
# make fuzz       build the libFuzzer targets with clang and run each briefly
# make marathon   kill -9 the broker 25 times under 24,000 submits (long; prints figures)
# make fault-long walk an injected I/O error over every write of the fault scenario
# make failover-long  kill -9 the active broker 10 times; its standby takes over (prints figures)
# make check LONG=1  the same three long runs inside make check

CC      ?= cc
PKGS    := libczmq libzmq libprotobuf-c sqlite3 libpq libcrypto icu-uc icu-i18n libsystemd
#   libsodium: the scanner's SipHash (crypto_shorthash_siphashx24) for known names.
PKGS    += libsodium
#   The one place the version lives: VERSION, passed to every binary.
VERSION := $(shell cat VERSION)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra -Werror
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS  += -DSAMHAND_VERSION='"$(VERSION)"'
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
WEB_SRC     := $(wildcard clients/web/*.c)
WEB_OBJ     := $(patsubst clients/web/%.c,$(B)/web/%.o,$(WEB_SRC))
#   samhand-web reuses the CLI's JSON shapes (json, print, report, conn, opts; plan rendering).
WEB_CLI_OBJ := $(patsubst %,$(B)/cli/%.o,json print report conn opts cmd_plan jsonr)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
ITEST_SRC   := $(wildcard tests/integration/itest_*.c)
ITEST_BIN   := $(patsubst tests/integration/%.c,$(B)/tests/%,$(ITEST_SRC))
HARNESS_OBJ := $(B)/tests/harness.o
WEB_ITEST   := $(B)/tests/itest_author

.PHONY: all check demo web-demo web-screenshots bench fuzz fuzz-run clean deps install man deb marathon fault-long failover-long
MAN_PAGES := $(B)/man/samhandd.8 $(B)/man/samhand.1 $(B)/man/samhandd.cfg.5
#   Man pages need scdoc (scripts/install-deps.sh); `make install` insists.
all: $(B)/samhandd $(B)/samhandd-fault $(B)/samhand $(B)/libsamhand.a $(B)/libsamhand.so.1 $(B)/samhand.pc $(B)/samhand.service \
     $(if $(shell command -v scdoc 2>/dev/null),$(MAN_PAGES)) $(UNIT_BIN) $(ITEST_BIN) $(B)/bench_submit $(B)/bench_parts \
     $(B)/samhand-web $(WEB_ITEST)

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

$(B)/web/%.o: clients/web/%.c $(GEN)/samhand.pb-c.h $(wildcard clients/web/*.h clients/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DWEB_STATIC_DIR='"$(abspath clients/web/static)"' -Iclients/web -Iclients/cli -I$(GEN) -Iclients/libsamhand -c $< -o $@

$(B)/samhand-web: $(WEB_OBJ) $(WEB_CLI_OBJ) $(B)/libsamhand.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs libmicrohttpd libsodium)

$(B)/libsamhandd.a: $(DAEMON_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/libsamhand.a: $(CLIENT_OBJ)
	rm -f $@; ar rcs $@ $^

$(B)/samhand.pc: clients/libsamhand/samhand.pc.in VERSION
	$(call subst_paths,$<,$@)

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

#   The failover test drives the brokers through libsamhand's endpoint lists.
$(B)/tests/itest_failover: tests/integration/itest_failover.c $(HARNESS_OBJ) $(B)/libsamhand.a $(GEN)/samhand.pb-c.o tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Iclients/libsamhand -Itests -Itests/integration $(LDFLAGS) -o $@ $< $(HARNESS_OBJ) $(B)/libsamhand.a $(LDLIBS)

# itest_shred opens ciphertext read from the store with the broker's own
# keys (crypto.h, keys.h): it links the daemon's library too.
$(B)/tests/itest_shred: tests/integration/itest_shred.c $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o $(B)/libsamhandd.a tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Idaemon -Iclients/libsamhand -Itests -Itests/integration $(LDFLAGS) -o $@ $< $(HARNESS_OBJ) $(B)/libsamhandd.a $(LDLIBS)

#   samhand-web's login delay and sessions (clients/web/sessions.c), alone.
$(B)/tests/test_websessions: tests/unit/test_websessions.c clients/web/sessions.c clients/web/web.h tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Iclients/web -Iclients/cli -Iclients/libsamhand -Itests $(LDFLAGS) -o $@ \
	    tests/unit/test_websessions.c clients/web/sessions.c -lsodium -lpthread

$(B)/tests/itest_author: tests/web/itest_author.c $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o tests/testlib.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(GEN) -Iclients/libsamhand -Itests -Itests/integration $(LDFLAGS) -o $@ $< $(HARNESS_OBJ) $(GEN)/samhand.pb-c.o $(LDLIBS)

$(B)/bench_parts: tests/bench/bench_parts.c $(B)/libsamhandd.a
	$(CC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench_submit: tests/bench/bench_submit.c tests/bench/benchload.c tests/bench/benchstat.c $(HARNESS_OBJ) \
    $(GEN)/samhand.pb-c.o tests/bench/benchload.h tests/bench/benchstat.h
	$(CC) $(CFLAGS) -I$(GEN) -Itests -Itests/integration $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

$(B)/bench_broker: tests/bench/bench_broker.c tests/bench/benchload.c tests/bench/benchstat.c $(HARNESS_OBJ) \
    $(GEN)/samhand.pb-c.o tests/bench/benchload.h tests/bench/benchstat.h
	$(CC) $(CFLAGS) -I$(GEN) -Itests -Itests/integration $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

#   Only for make bench: libmosquitto-dev comes with `install-deps.sh bench`.
$(B)/bench_mosq: tests/bench/bench_mosq.c tests/bench/benchstat.c tests/bench/benchstat.h
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) -lmosquitto -lpthread

CHECK_SCRIPTS := $(wildcard tests/cli/*.sh) tests/interop/run.sh tests/web/browser.sh tests/web/sessions.sh $(wildcard tests/install/*.sh)

LONG_ENV := $(if $(filter 1,$(LONG)),SAMHAND_MARATHON_LONG=1 SAMHAND_FAULT_LONG=1 SAMHAND_FAILOVER_LONG=1 SAMHAND_TEST_TIMEOUT=3600)

#   The store's cases and the integration suite again on a real PostgreSQL
#   (tests/pg/pgtmp.sh); the fault-injecting VFS is sqlite's alone.
PG_CHECK := $(B)/tests/test_store $(filter-out $(B)/tests/itest_fault,$(ITEST_BIN)) $(WEB_ITEST)

check:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) $(LONG_ENV) tests/run.sh $(UNIT_BIN) $(ITEST_BIN) $(WEB_ITEST) $(CHECK_SCRIPTS) \
	    --postgresql $(PG_CHECK)

marathon:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_MARATHON_LONG=1 SAMHAND_TEST_TIMEOUT=3600 tests/run.sh $(B)/tests/itest_marathon

failover-long:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_FAILOVER_LONG=1 SAMHAND_TEST_TIMEOUT=3600 tests/run.sh $(B)/tests/itest_failover \
	    --postgresql $(B)/tests/itest_failover

fault-long:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_FAULT_LONG=1 SAMHAND_TEST_TIMEOUT=3600 tests/run.sh $(B)/tests/itest_fault

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory all $(B)/bench_broker $(B)/bench_mosq
	@SAMHAND_BUILD=$(B) tests/bench/run.sh

demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) scripts/demo.sh
	@echo "To see it in a browser: make web-demo (a web client per agency, with demo users;"
	@echo "it prints the addresses and passwords to log in with)."

web-screenshots:
	@$(MAKE) --no-print-directory all
	@SAMHAND_BUILD=$(B) SAMHAND_SCREENSHOTS=$(CURDIR)/docs/screenshots tests/web/browser.sh

web-demo:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory $(B)/samhandd $(B)/samhand $(B)/samhand-web
	@/usr/bin/python3 clients/web/webdemo.py $(B)

FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
build-fuzz/gen/samhand.pb-c.c: proto/samhand.proto
	@mkdir -p build-fuzz/gen
	protoc-c --proto_path=proto --c_out=build-fuzz/gen proto/samhand.proto
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/gen/samhand.pb-c.c $(filter-out daemon/main.c,$(wildcard daemon/*.c))
	clang -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DSAMHAND_VERSION='"$(VERSION)"' -g -O1 -fsanitize=fuzzer,address,undefined \
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
	rm -rf build build-san build-fuzz build-deb

# ---------------------------------------------------------------- install
# make install [PREFIX=/usr/local] [DESTDIR=...]: binaries, libsamhand
# (shared, soname libsamhand.so.1, and static), headers under
# include/samhand/, samhand.pc, man pages (scdoc, built here), an example
# config, the systemd unit; a config in SYSCONFDIR/samhand/ unless one is
# there already (state under LOCALSTATEDIR/lib/samhand).
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SBINDIR       ?= $(PREFIX)/sbin
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/samhand
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LOCALSTATEDIR ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
UNITDIR       ?= $(PREFIX)/lib/systemd/system
SONAME        := libsamhand.so.1

define subst_paths
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' $(1) > $(2)
endef

#   The shared library needs every object position-independent, the
#   generated protobuf code too (the static archive keeps its own copy).
$(B)/client/pic/samhand.pb-c.o: $(GEN)/samhand.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -Wno-unused-parameter $(INC) -c $< -o $@

$(B)/$(SONAME): $(filter-out $(GEN)/samhand.pb-c.o,$(CLIENT_OBJ)) $(B)/client/pic/samhand.pb-c.o
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs $(LDFLAGS) -o $@ $^ \
	  $(shell pkg-config --libs libczmq libzmq libprotobuf-c)

$(B)/samhand.service: config/samhand.service.in
	$(call subst_paths,$<,$@)

$(B)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@

man: $(MAN_PAGES)

install: $(B)/samhandd $(B)/samhand $(B)/libsamhand.a $(B)/$(SONAME) $(MAN_PAGES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(INCLUDEDIR)/samhand $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/samhandd $(DESTDIR)$(SBINDIR)/samhandd
	install -m 0755 $(B)/samhand $(DESTDIR)$(BINDIR)/samhand
	if [ -x $(B)/samhand-web ]; then install -m 0755 $(B)/samhand-web $(DESTDIR)$(BINDIR)/samhand-web; \
	  install -d $(DESTDIR)$(PREFIX)/share/samhand/web; \
	  cp -R clients/web/static/. $(DESTDIR)$(PREFIX)/share/samhand/web/; \
	  chmod -R u=rwX,go=rX $(DESTDIR)$(PREFIX)/share/samhand/web; fi
	install -m 0644 $(B)/libsamhand.a $(DESTDIR)$(LIBDIR)/libsamhand.a
	install -m 0644 $(B)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libsamhand.so
	install -m 0644 clients/libsamhand/samhand.h $(GEN)/samhand.pb-c.h $(DESTDIR)$(INCLUDEDIR)/samhand/
	$(call subst_paths,clients/libsamhand/samhand.pc.in,$(DESTDIR)$(LIBDIR)/pkgconfig/samhand.pc)
	install -m 0644 $(B)/man/samhand.1 $(DESTDIR)$(MANDIR)/man1/samhand.1
	install -m 0644 $(B)/man/samhandd.cfg.5 $(DESTDIR)$(MANDIR)/man5/samhandd.cfg.5
	install -m 0644 $(B)/man/samhandd.8 $(DESTDIR)$(MANDIR)/man8/samhandd.8
	install -m 0644 config/samhandd.cfg $(DESTDIR)$(DOCDIR)/examples/samhandd.cfg
	install -D -m 0644 clients/cli/samhand.bash-completion \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/samhand
	$(call subst_paths,config/samhand.service.in,$(DESTDIR)$(UNITDIR)/samhand.service)
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/samhand $(DESTDIR)$(SYSCONFDIR)/samhand/enrolled
	[ -e $(DESTDIR)$(SYSCONFDIR)/samhand/samhandd.cfg ] || \
	  sed -e 's|^#   state_dir = .*|    state_dir = "$(LOCALSTATEDIR)/lib/samhand"|' \
	    config/samhandd.cfg > $(DESTDIR)$(SYSCONFDIR)/samhand/samhandd.cfg

# ---------------------------------------------------------------- deb
# make deb: the Debian package (debian/, debhelper) into build-deb/.
deb:
	@scripts/install-deps.sh
	rm -rf build-deb && mkdir -p build-deb/src
	tar --exclude=./.git --exclude=./build --exclude=./build-san --exclude=./build-fuzz \
	  --exclude=./build-deb --exclude=./demo -cf - . | tar -C build-deb/src -xf -
	cd build-deb/src && dpkg-buildpackage -us -uc -b -j2
	@ls build-deb/*.deb
