// Retrieval metrics from integer ranks (docs/metrics.md): recall at 1/5/10 in
// percent, median and mean rank, and the `RetrievalReport` that holds them for
// each direction and re-ranking, with its JSON form. Plain value types; the
// functions are pure and thread-safe.
#ifndef CAMOE_WORKER_EVAL_METRICS_H_
#define CAMOE_WORKER_EVAL_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace camoe {

// Summary of one direction, from ranks (1 = best). How ties are ranked is the
// evaluation's choice (EvalOptions::ties_count_against; Note [Ties count
// against the query] in retrieval_eval.cc).
struct RetrievalMetrics {
  double r1 = 0;   // percent of queries with rank <= 1
  double r5 = 0;   // ... rank <= 5
  double r10 = 0;  // ... rank <= 10
  double mdr = 0;  // median rank; the mean of the two middle ranks for an even count
  double mnr = 0;  // mean rank
  int64_t queries = 0;

  bool operator==(const RetrievalMetrics& other) const;
};

// The metrics of `ranks` (each >= 1). All zero for no ranks.
RetrievalMetrics MetricsFromRanks(const std::vector<int64_t>& ranks);

// Plain ranking always; the re-ranked variants when they were asked for. DSL
// looks at every test query at once, so it is reported next to the plain
// numbers, never instead of them.
struct RetrievalReport {
  RetrievalMetrics t2v;
  RetrievalMetrics v2t;
  std::optional<RetrievalMetrics> t2v_dsl;
  std::optional<RetrievalMetrics> v2t_dsl;
  std::optional<RetrievalMetrics> t2v_qbnorm;
  // Test queries whose scores QB-Norm replaced (the rest kept their raw
  // scores); set with t2v_qbnorm.
  std::optional<int64_t> qbnorm_activated;

  bool operator==(const RetrievalReport& other) const;
};

// One JSON object: {"t2v": {"r1": .., "r5": .., "r10": .., "mdr": .., "mnr": ..,
// "queries": ..}, "v2t": {..}, then "t2v_dsl", "v2t_dsl", "t2v_qbnorm",
// "qbnorm_activated" when present}. Numbers round-trip exactly; `multiline`
// puts each direction on its own line.
std::string RetrievalMetricsJson(const RetrievalMetrics& metrics);
std::string RetrievalReportJson(const RetrievalReport& report, bool multiline = true);

}  // namespace camoe

#endif  // CAMOE_WORKER_EVAL_METRICS_H_
