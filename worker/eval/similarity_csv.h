// Reads a similarity matrix from CSV for `camoe metrics`: one line per query
// text, one comma-separated number per video. Format (docs/metrics.md):
// blank lines and lines starting with '#' (numpy.savetxt's header) are skipped,
// so there is no header row otherwise; spaces around a value and CRLF line ends
// are allowed; every row has the same number of values; every value is a finite
// decimal number that fits a float. Errors name file:line and the column.
// Stateless functions; thread-safe.
#ifndef CAMOE_WORKER_EVAL_SIMILARITY_CSV_H_
#define CAMOE_WORKER_EVAL_SIMILARITY_CSV_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "worker/eval/similarity_source.h"

namespace camoe {

// Parses `text`; `name` (a path) prefixes error messages.
absl::StatusOr<DenseSimilarity> ParseSimilarityCsv(std::string_view text, const std::string& name);

// Maps the file at `path` and parses it. NotFound names the path.
absl::StatusOr<DenseSimilarity> ReadSimilarityCsv(const std::string& path);

}  // namespace camoe

#endif  // CAMOE_WORKER_EVAL_SIMILARITY_CSV_H_
