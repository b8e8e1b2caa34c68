// Helpers for the job report tests: a small XML well-formedness checker (so
// the tests mean something where xmllint is missing), xmllint when present,
// SVG extraction and point counting, and sample JobMetrics.
#ifndef CAMOE_TESTS_REPORT_TEST_UTIL_H_
#define CAMOE_TESTS_REPORT_TEST_UTIL_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "camoe/service.pb.h"

namespace camoe::testing {

// OK when `text` is well-formed XML (one root element; a leading DOCTYPE is
// allowed): balanced tags, quoted attributes without '<', no duplicate
// attributes, only the five predefined or numeric entities, no stray '<'/'&'.
absl::Status CheckWellFormedXml(const std::string& text);

// Whether xmllint is installed; and its exit status on `content` written to a
// file, with `flags` ("--noout", "--html --noout"). Output goes to `output`.
bool HaveXmllint();
int RunXmllint(const std::string& flags, const std::string& content, std::string* output);

// The outermost <svg>...</svg> elements of `html`, in order.
std::vector<std::string> ExtractSvgs(const std::string& html);

// The points of each series path of a chart: data-series -> coordinate pairs
// in its d attribute (checked against data-points; a mismatch is -1).
std::map<std::string, long> SeriesPoints(const std::string& svg);

// The chart's <title> (its first title element).
std::string ChartTitle(const std::string& svg);

// A job of `steps` step reports (loss decaying with noise, warmup-cosine
// learning rates, throughput, communication, gates) and an evaluation every
// `eval_every` steps, the last one final, with every stream x direction x
// variant. The fusion t2v plain R@1 of the final evaluation is 44.5.
JobMetrics MakeSampleMetrics(int steps, int eval_every);
// The same into `metrics` (e.g. one on an arena, for a million steps).
void FillSampleMetrics(int steps, int eval_every, JobMetrics* metrics);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_REPORT_TEST_UTIL_H_
