// RapidJSON, configured so that a failed internal assertion is an error, not an abort().
#pragma once
#include "error.hpp"

#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x)                                                                  \
  do {                                                                                       \
    if (!(x))                                                                                \
      throw ::dbos_client::Error(::dbos_client::sqlstate::internal,                          \
                                 "internal JSON assertion failed", "Assertion: " #x ".");   \
  } while (0)
#endif
#define RAPIDJSON_HAS_STDSTRING 1
#define RAPIDJSON_NOEXCEPT_ASSERT(x) ((void)0)
#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
