// Guard for pure C++ translation units: they must never see a Postgres header.
#pragma once
#define DBOS_CLIENT_PURE_CPP 1
#ifdef PG_VERSION_NUM
#error "pure C++ code must not include Postgres headers (see CONTRIBUTING.md: two kinds of code)"
#endif
