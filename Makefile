# dbos_client: PGXS build of the C++17 extension.
EXTENSION = dbos_client
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" dbos_client.control)
MODULE_big = dbos_client
OBJS = $(patsubst %.cpp,%.o,$(wildcard src/*.cpp))
DATA = $(wildcard dbos_client--*.sql)
PGFILEDESC = "dbos_client - DBOS client inside PostgreSQL"

# pg_regress: ./sql and ./expected, run against a database that already holds the
# DBOS system tables (test/run_all.sh prepares it; see README).
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --use-existing --dbname=dbos_regress
ISOLATION = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --use-existing --dbname=dbos_isolation

PG_CONFIG ?= pg_config
# Debian's server is built with LLVM; our C++ does not go through the bitcode step.
override with_llvm = no
PG_CXXFLAGS = -std=c++17 -fPIC -Wall -Wextra -Wno-register -Wno-unused-parameter \
              -Wno-missing-field-initializers -Wno-cast-function-type -Isrc -MMD -MP $(EXTRA_CXXFLAGS)
SHLIB_LINK = -lstdc++ $(EXTRA_LDFLAGS)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild objects when a header they include changes (-MMD -MP in PG_CXXFLAGS).
-include $(OBJS:.o=.d)
EXTRA_CLEAN = $(OBJS:.o=.d)
