#include "worker/eval/metrics.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"

namespace camoe {

bool RetrievalMetrics::operator==(const RetrievalMetrics& other) const {
  return r1 == other.r1 && r5 == other.r5 && r10 == other.r10 && mdr == other.mdr &&
         mnr == other.mnr && queries == other.queries;
}

bool RetrievalReport::operator==(const RetrievalReport& other) const {
  return t2v == other.t2v && v2t == other.v2t && t2v_dsl == other.t2v_dsl &&
         v2t_dsl == other.v2t_dsl && t2v_qbnorm == other.t2v_qbnorm &&
         qbnorm_activated == other.qbnorm_activated;
}

RetrievalMetrics MetricsFromRanks(const std::vector<int64_t>& ranks) {
  RetrievalMetrics metrics;
  const int64_t n = static_cast<int64_t>(ranks.size());
  metrics.queries = n;
  if (n == 0) return metrics;
  int64_t within1 = 0, within5 = 0, within10 = 0;
  // Integer sum: exact for any realistic count (ranks <= 2^31, queries <= 2^32).
  int64_t sum = 0;
  for (int64_t rank : ranks) {
    within1 += rank <= 1;
    within5 += rank <= 5;
    within10 += rank <= 10;
    sum += rank;
  }
  metrics.r1 = 100.0 * static_cast<double>(within1) / static_cast<double>(n);
  metrics.r5 = 100.0 * static_cast<double>(within5) / static_cast<double>(n);
  metrics.r10 = 100.0 * static_cast<double>(within10) / static_cast<double>(n);
  metrics.mnr = static_cast<double>(sum) / static_cast<double>(n);
  std::vector<int64_t> sorted = ranks;
  std::sort(sorted.begin(), sorted.end());
  // numpy.median: the middle rank, or the mean of the two middle ranks.
  metrics.mdr =
      n % 2 == 1
          ? static_cast<double>(sorted[n / 2])
          : (static_cast<double>(sorted[n / 2 - 1]) + static_cast<double>(sorted[n / 2])) / 2.0;
  return metrics;
}

namespace {

// Shortest text that parses back to exactly `value` (ranks' means and
// percentages are rarely short decimals).
std::string JsonNumber(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

}  // namespace

std::string RetrievalMetricsJson(const RetrievalMetrics& m) {
  return absl::StrCat("{\"r1\": ", JsonNumber(m.r1), ", \"r5\": ", JsonNumber(m.r5),
                      ", \"r10\": ", JsonNumber(m.r10), ", \"mdr\": ", JsonNumber(m.mdr),
                      ", \"mnr\": ", JsonNumber(m.mnr), ", \"queries\": ", m.queries, "}");
}

std::string RetrievalReportJson(const RetrievalReport& report, bool multiline) {
  const std::string separator = multiline ? ",\n  " : ", ";
  std::string out = multiline ? "{\n  " : "{";
  bool first = true;
  auto add = [&](const char* key, const std::string& value) {
    if (!first) out += separator;
    first = false;
    absl::StrAppend(&out, "\"", key, "\": ", value);
  };
  add("t2v", RetrievalMetricsJson(report.t2v));
  add("v2t", RetrievalMetricsJson(report.v2t));
  if (report.t2v_dsl) add("t2v_dsl", RetrievalMetricsJson(*report.t2v_dsl));
  if (report.v2t_dsl) add("v2t_dsl", RetrievalMetricsJson(*report.v2t_dsl));
  if (report.t2v_qbnorm) add("t2v_qbnorm", RetrievalMetricsJson(*report.t2v_qbnorm));
  if (report.qbnorm_activated) add("qbnorm_activated", absl::StrCat(*report.qbnorm_activated));
  out += multiline ? "\n}" : "}";
  return out;
}

}  // namespace camoe
