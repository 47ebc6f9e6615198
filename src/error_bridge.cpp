// The seam between C++ exceptions and Postgres errors (see CONTRIBUTING.md, "The error bridge").
#include <cstdio>
#include <cstring>
#include <new>

#include "error_bridge.hpp"

namespace dbos_client {
namespace {

// What survives the catch block: fixed buffers, so nothing needs a destructor or palloc.
struct CaughtError {
  char sqlstate[6];
  char message[2048];
  char detail[4096];
  char hint[1024];
};

void copy_text(char *dest, size_t size, const char *src) {
  size_t n = std::strlen(src);
  if (n >= size) {
    n = size - 4;
    while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) n--;  // whole UTF-8 characters
    std::memcpy(dest, src, n);
    std::memcpy(dest + n, "...", 4);
    return;
  }
  std::memcpy(dest, src, n + 1);
}

}  // namespace

[[noreturn]] void throw_pg_error(MemoryContext context) {
  MemoryContextSwitchTo(context);
  ErrorData *data = CopyErrorData();
  FlushErrorState();
  throw PgError{data};
}

Datum run_entry(Datum (*body)(FunctionCallInfo), FunctionCallInfo fcinfo) {
  ErrorData *pg_error = nullptr;
  CaughtError caught;
  caught.sqlstate[0] = '\0';
  try {
    return body(fcinfo);
  } catch (const PgError &e) {
    pg_error = e.data;
  } catch (const Error &e) {
    std::memcpy(caught.sqlstate, e.sqlstate(), 6);
    copy_text(caught.message, sizeof caught.message, e.message().c_str());
    copy_text(caught.detail, sizeof caught.detail, e.detail().c_str());
    copy_text(caught.hint, sizeof caught.hint, e.hint().c_str());
  } catch (const std::bad_alloc &) {
    std::memcpy(caught.sqlstate, "53200", 6);
    copy_text(caught.message, sizeof caught.message, "out of memory");
    caught.detail[0] = caught.hint[0] = '\0';
  } catch (const std::exception &e) {
    std::memcpy(caught.sqlstate, "XX000", 6);
    copy_text(caught.message, sizeof caught.message, e.what());
    caught.detail[0] = caught.hint[0] = '\0';
  } catch (...) {
    std::memcpy(caught.sqlstate, "XX000", 6);
    copy_text(caught.message, sizeof caught.message, "unexpected C++ exception");
    caught.detail[0] = caught.hint[0] = '\0';
  }
  // Every C++ object is gone now: raising (a longjmp) is safe.
  if (pg_error) ReThrowError(pg_error);
  const char *s = caught.sqlstate;
  ereport(ERROR, (errcode(MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4])), errmsg_internal("%s", caught.message),
                  caught.detail[0] ? errdetail_internal("%s", caught.detail) : 0,
                  caught.hint[0] ? errhint("%s", caught.hint) : 0));
  pg_unreachable();
}

}  // namespace dbos_client
