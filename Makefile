# lifecycle: PGXS build plus the project's own entry points.
#
#   make && sudo make install   build and install into the server found by pg_config
#   make demo                   set up everything, run the demo store in a throwaway cluster
#   make test                   set up everything, run pg_regress + pgTAP, print "N passed, N failed"
#   make bench                  timings against the plain-SQL way (not part of make test)
#
# make demo/test/bench install missing Debian packages first, so they work on a fresh
# Debian 12 machine where pg_config does not exist yet; that is why PGXS is included
# only when it is present.

EXTENSION = lifecycle
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" lifecycle.control)

MODULE_big = lifecycle
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK = -lnlopt -lm

# The install script is assembled from one part per domain (sql/install/NN_domain.sql,
# in name order), so each domain keeps its SQL next to its C file's concerns.
# Upgrade scripts (lifecycle--A--B.sql) are kept as written.
INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(wildcard sql/$(EXTENSION)--*--*.sql)

# pg_regress inputs live in sql/ and outputs in expected/: every sql/*.sql except the
# install scripts is a test, run in name order.
REGRESS = $(sort $(basename $(notdir $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

EXTRA_CLEAN = results regression.diffs regression.out test/out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all:
	@echo "pg_config (postgresql-server-dev-15) not found: run 'make demo' or 'make test'," >&2
	@echo "which install it, or install it yourself and run make again." >&2
	@exit 1
endif

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS)
	cat $^ > $@

.PHONY: demo test bench deps

deps:
	@sh test/deps.sh

demo:
	@sh test/demo.sh

test:
	@sh test/run.sh

bench:
	@sh bench/run.sh
