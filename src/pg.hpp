// Postgres headers for the Postgres side, included after any C++ header (port.h redefines
// snprintf and friends) and never in pure C++ code.
#pragma once
#ifdef DBOS_CLIENT_PURE_CPP
#error "pure C++ code must not include Postgres headers"
#endif
extern "C" {
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}
