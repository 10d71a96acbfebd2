# netlab. `make up` and `make test` install missing Debian packages first (scripts/deps.sh).
PREFIX ?= /usr/local
CC ?= cc
PKGS := libnl-3.0 libnl-route-3.0 yaml-0.1 json-c
VERSION := 0.1.0

CFLAGS ?= -g -O2
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -DNETLAB_VERSION='"$(VERSION)"'
NL_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
NL_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The netlab binary links libnl, libyaml and json-c statically (libc stays shared): every `netlab
# exec` starts a netlab, and loading and relocating more shared objects cost it ~0.2 ms.
BIN_LIBS = -Wl,-Bstatic $(NL_LIBS) -Wl,-Bdynamic -lpthread
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(NL_CFLAGS)

BUILD ?= build
BIN ?= netlab
# The CLI (the only code that prints or exits) goes into the binary; the rest into libnetlab.a,
# which the tests link too.
CLI_SRC := src/main.c src/cli.c $(wildcard src/cmd_*.c) $(wildcard src/print*.c)
CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRC))
LIB_SRC := $(filter-out $(CLI_SRC),$(wildcard src/*.c)) $(wildcard netsetup/*.c)
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
TEST_SRC := $(wildcard tests/test_*.c) tests/helpers.c
TEST_BIN := $(BUILD)/tests/netlab-tests
HDRS := $(wildcard src/*.h netsetup/*.h)

.PHONY: all deps up test demo bench asan fuzz install clean man doc-check

# The manual page comes along when scdoc is there (scripts/deps.sh installs it); `make netlab` and
# the tests never need it.
SCDOC := $(shell command -v scdoc 2>/dev/null)
all: netlab $(if $(SCDOC),netlab.1)

# netlab(1), from its scdoc source
man: netlab.1
netlab.1: doc/netlab.1.scd
	@command -v scdoc >/dev/null || { echo "make: scdoc is missing: run 'make deps'" >&2; exit 1; }
	scdoc < $< > $@.tmp && mv $@.tmp $@

# The manual page and bash completion against every command and option of the binary's --help.
doc-check: $(BIN)
	./scripts/doc-check.sh $(CURDIR)/$(BIN)

deps:
	@./scripts/deps.sh

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libnetlab.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(BUILD)/libnetlab.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(BIN_LIBS) -lm $(LDFLAGS)

$(TEST_BIN): $(TEST_SRC) tests/helpers.h $(BUILD)/libnetlab.a $(BIN)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(TEST_SRC) $(BUILD)/libnetlab.a $(NL_LIBS) -lcriterion -lm $(LDFLAGS)

# The README's main-job command: fresh machine -> a running lab.
up: deps
	@$(MAKE) --no-print-directory netlab
	./netlab up 2

# The README's test command (and what .ci/run calls): everything, as root, on the real kernel.
test: deps
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN) doc-check
	@./scripts/check-clean.sh snapshot $(BUILD)/before.txt
	NETLAB=$(CURDIR)/$(BIN) LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		$(TEST_BIN) --jobs=$$(nproc) $(TEST_ARGS)
	@./scripts/check-clean.sh compare $(BUILD)/before.txt

# The students' walkthrough of the six namespaces; checks what it shows, so it is a test too.
demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	NETLAB=$(CURDIR)/$(BIN) ./scripts/demo-isolation.sh

# netlab against the iproute2 way, and at scale; writes build/bench/RESULTS.md (BENCH_UPDATE=1:
# the committed bench/RESULTS.md). BENCH_ARGS=--quick
bench: deps
	@$(MAKE) --no-print-directory $(BIN)
	NETLAB=$(CURDIR)/$(BIN) ./scripts/bench $(BENCH_ARGS) $(if $(BENCH_UPDATE),--update)

# Same suite under AddressSanitizer + UndefinedBehaviorSanitizer, in its own build tree.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/netlab \
		CFLAGS="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" test

# libFuzzer on the parsers (state file, CIDR, names), seeded from tests/fuzz/corpus; a crash, a
# sanitizer report or a failed round trip fails the run. FUZZ_TIME bounds it (seconds).
FUZZ_TIME ?= 60
FUZZ_SRC := tests/fuzz/fuzz_parsers.c src/state.c src/ipv4.c src/ipv6.c src/names.c src/error.c \
	src/util.c src/topo.c src/topo_yaml.c src/units.c src/kathara.c src/cgroup.c src/hostsetup.c src/hostsetup_child.c src/hostsetup_exec.c \
	src/hostsetup_files.c tests/fuzz/stubs.c
fuzz:
	@./scripts/deps.sh --extra
	@mkdir -p build-fuzz/corpus
	clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o build-fuzz/fuzz_parsers $(FUZZ_SRC) -lyaml -lm
	./build-fuzz/fuzz_parsers -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		build-fuzz/corpus tests/fuzz/corpus

install: netlab netlab.1
	install -D -m 0755 netlab $(DESTDIR)$(PREFIX)/bin/netlab
	install -D -m 0644 netlab.1 $(DESTDIR)$(PREFIX)/share/man/man1/netlab.1
	install -D -m 0644 completion/netlab.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/netlab

clean:
	rm -rf build build-asan build-fuzz netlab netlab.1
