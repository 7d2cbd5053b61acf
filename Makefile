# telco-pipes: one plain Makefile.
#
#   make                      build every program into bin/
#   make SANITIZE=address,undefined
#   make test                 install what is missing, start servers, run tests
#   make demo                 run the whole system on this machine
#   make bench                side-by-side benchmarks with peer tools
#   make install PREFIX=/usr/local DESTDIR=
#   make lint                 mandoc -Tlint and shellcheck

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
PKGS     := rdkafka jansson libcurl libpq libmariadb avro-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -Ilib $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS)
LIBS     := -Wl,--as-needed $(PKG_LIBS) -lcsv -ldeflate -lzstd -lz -lm -lpthread

ifdef SANITIZE
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

PROGS    := $(patsubst tools/%.c,%,$(wildcard tools/*.c))
LIBSRC   := $(wildcard lib/*.c)
LIBOBJ   := $(patsubst lib/%.c,build/lib/%.o,$(LIBSRC))
BINS     := $(addprefix bin/,$(PROGS))
TESTSRC  := $(wildcard tests/unit/*.c tests/helpers/*.c)
TESTBINS := $(patsubst %.c,build/tests/%,$(notdir $(TESTSRC)))
MANPAGES := $(wildcard man/*.1 man/*.5 man/*.7)

all: $(BINS) $(TESTBINS)

# Rebuild everything when the compiler flags change (SANITIZE on or off).
build/flags: FORCE
	@mkdir -p build
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@

build/lib/%.o: lib/%.c lib/*.h build/flags
	@mkdir -p build/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/libtelco.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

build/tools/%.o: tools/%.c lib/*.h build/flags
	@mkdir -p build/tools
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# detect allocates with mimalloc (which takes malloc's place in it), and
# its window state in large pages; not with the sanitizers, whose own
# allocator checks each access.
ifndef SANITIZE
build/tools/detect.o: ALL_CFLAGS += -DTP_MIMALLOC
bin/detect: LIBS += -lmimalloc
endif

bin/%: build/tools/%.o build/libtelco.a
	@mkdir -p bin
	$(CC) $(ALL_LDFLAGS) -o $@ $< build/libtelco.a $(LIBS)

vpath %.c tests/unit tests/helpers
build/tests/%: %.c build/libtelco.a lib/*.h build/flags
	@mkdir -p build/tests
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< build/libtelco.a $(LIBS)

# Fuzz targets (clang's libFuzzer); built on demand by the fuzz tests.
# The library is compiled once for them, with the sanitizers.
FUZZSRC  := $(wildcard tests/fuzz/*.c)
FUZZBINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZSRC))
FUZZOBJ  := $(patsubst lib/%.c,build/fuzz/lib/%.o,$(LIBSRC))
FUZZCC   := clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=undefined $(PKG_CFLAGS) -Ilib
fuzz: $(FUZZBINS)
build/fuzz/lib/%.o: lib/%.c lib/*.h
	@mkdir -p build/fuzz/lib
	$(FUZZCC) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
build/fuzz/libfuzz.a: $(FUZZOBJ)
	rm -f $@
	ar rcs $@ $(FUZZOBJ)
build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzz.a lib/*.h
	$(FUZZCC) -fsanitize=fuzzer,address,undefined -o $@ $< \
	  build/fuzz/libfuzz.a $(LIBS)

deps:
	@tests/setup-deps

test: deps
	@$(MAKE) --no-print-directory all
	@tests/run

demo: deps
	@$(MAKE) --no-print-directory all
	@pipelines/demo

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run-all

lint:
	mandoc -Tlint -W warning $(MANPAGES)
	shellcheck -x -S warning -e SC2034 tests/*.sh tests/*.t tests/run tests/setup-deps $(filter-out pipelines/examples pipelines/%.conf,$(wildcard pipelines/*)) bench/*.sh bench/run-all

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf bin build tests/trash.*

.PHONY: all deps test demo bench lint install clean fuzz FORCE
.SECONDARY: $(LIBOBJ) $(FUZZOBJ)
