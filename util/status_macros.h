// Macros for propagating absl::Status and absl::StatusOr<T>.
//
//   RETURN_IF_ERROR(DoSomething());
//   ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT 1"));
//   ASSIGN_OR_RETURN(int v, ParseInt(s));
#ifndef DCP_UTIL_STATUS_MACROS_H_
#define DCP_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DCP_STATUS_CONCAT_INNER_(a, b) a##b
#define DCP_STATUS_CONCAT_(a, b) DCP_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if not OK.
#define RETURN_IF_ERROR(expr)                                       \
  do {                                                              \
    ::absl::Status dcp_status_macro_status_ = (expr);               \
    if (!dcp_status_macro_status_.ok()) return dcp_status_macro_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the enclosing
// function, else moves the value into `lhs` (a declaration or an existing lvalue).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  DCP_ASSIGN_OR_RETURN_IMPL_(DCP_STATUS_CONCAT_(dcp_statusor_, __LINE__), lhs, rexpr)

#define DCP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // DCP_UTIL_STATUS_MACROS_H_
