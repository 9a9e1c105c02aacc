#pragma once
// Status propagation macros.
//
// Debian 12 ships Abseil 20220623, which has no ABSL_RETURN_IF_ERROR /
// ABSL_ASSIGN_OR_RETURN (they appear in 20260526). These are our own; if a newer
// Abseil is ever pinned they can become thin aliases.
//
//   PGARK_RETURN_IF_ERROR(file->Close());
//   PGARK_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(conninfo));
//   PGARK_ASSIGN_OR_RETURN(existing, ReadIndex(reader));   // assigns to an existing variable

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PGARK_STATUS_CONCAT_INNER_(a, b) a##b
#define PGARK_STATUS_CONCAT_(a, b) PGARK_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
#define PGARK_RETURN_IF_ERROR(expr)                                        \
  do {                                                                     \
    ::absl::Status pgark_status_ = (expr);                                 \
    if (ABSL_PREDICT_FALSE(!pgark_status_.ok())) return pgark_status_;     \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise
// moves the value into `lhs` (a declaration such as `auto x` or an existing lvalue).
#define PGARK_ASSIGN_OR_RETURN(lhs, rexpr) \
  PGARK_ASSIGN_OR_RETURN_IMPL_(PGARK_STATUS_CONCAT_(pgark_statusor_, __LINE__), lhs, rexpr)

#define PGARK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)                \
  auto statusor = (rexpr);                                                \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
