// Propagation helpers for absl::Status / absl::StatusOr, used by every fallible
// function in camoe (I/O, config, weights, rendezvous). CHECK is reserved for
// programmer invariants; anything a user or a peer can cause returns a Status.
#ifndef CAMOE_COMMON_STATUS_MACROS_H_
#define CAMOE_COMMON_STATUS_MACROS_H_

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CAMOE_STATUS_CONCAT_INNER_(a, b) a##b
#define CAMOE_STATUS_CONCAT_(a, b) CAMOE_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` is not OK.
#define CAMOE_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    ::absl::Status camoe_status_ = (expr);           \
    if (!camoe_status_.ok()) return camoe_status_;   \
  } while (0)

// `lhs = value of expr`, or returns its error. `lhs` may declare a variable.
#define CAMOE_ASSIGN_OR_RETURN(lhs, expr) \
  CAMOE_ASSIGN_OR_RETURN_IMPL_(CAMOE_STATUS_CONCAT_(camoe_statusor_, __LINE__), lhs, expr)

#define CAMOE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace camoe {

// The same status with `context` prefixed to its message ("context: message").
absl::Status Annotate(const absl::Status& status, const std::string& context);

}  // namespace camoe

#endif  // CAMOE_COMMON_STATUS_MACROS_H_
