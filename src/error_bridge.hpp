// The seam between C++ and Postgres errors: one wrapper for every SQL entry point, one guard
// for every call from C++ into Postgres.
#pragma once
#include <type_traits>

#include "error.hpp"
#include "pg.hpp"

namespace dbos_client {

// A Postgres error caught by pg_guard and carried through C++ frames to the entry wrapper.
struct PgError {
  ErrorData *data;
};

// Runs an entry point body; a C++ exception becomes a Postgres ERROR after every C++
// object is gone. Postgres errors raised by the body itself pass through untouched.
Datum run_entry(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo);

[[noreturn]] void throw_pg_error(MemoryContext context);

// Calls into Postgres from C++ code that holds RAII objects: a Postgres error is caught in
// this (innermost) frame and rethrown as PgError, so destructors above it run.
template <typename F>
auto pg_guard(F &&fn) -> decltype(fn()) {
  using R = decltype(fn());
  static_assert(std::is_void_v<R> || std::is_trivially_destructible_v<R>,
                "values crossing the guard must be trivially destructible");
  MemoryContext volatile context = CurrentMemoryContext;
  sigjmp_buf *volatile saved_stack = PG_exception_stack;
  ErrorContextCallback *volatile saved_error_context = error_context_stack;
  sigjmp_buf local;
  if (sigsetjmp(local, 0) == 0) {
    PG_exception_stack = &local;
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        PG_exception_stack = saved_stack;
        return;
      } else {
        R result = fn();
        PG_exception_stack = saved_stack;
        return result;
      }
    } catch (...) {  // fn is meant to call only Postgres, but never leave a dangling handler
      PG_exception_stack = saved_stack;
      throw;
    }
  }
  PG_exception_stack = saved_stack;
  error_context_stack = saved_error_context;
  throw_pg_error(context);
}

}  // namespace dbos_client

// Declares a SQL-callable function: PG_FUNCTION_INFO_V1 in extern "C", body run by the
// one wrapper. The body is Postgres-side code: only trivially destructible locals.
#define DBOS_FUNCTION(name)                                                        \
  static Datum name##_body(FunctionCallInfo fcinfo);                               \
  extern "C" {                                                                     \
  PG_FUNCTION_INFO_V1(name);                                                       \
  Datum name(PG_FUNCTION_ARGS) { return dbos_client::run_entry(name##_body, fcinfo); } \
  }                                                                                \
  static Datum name##_body(FunctionCallInfo fcinfo)
