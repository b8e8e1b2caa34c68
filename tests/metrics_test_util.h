// Helpers for the metrics tests: a plain-socket HTTP GET (so the tests check
// what a scraper really receives, not what prometheus-cpp meant to send), a
// parser for the Prometheus text exposition format, a free loopback port, the
// metric names in a PromQL or YAML text and the queries of a Grafana dashboard.
// Stateless; thread-safe.
#ifndef CAMOE_TESTS_METRICS_TEST_UTIL_H_
#define CAMOE_TESTS_METRICS_TEST_UTIL_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace camoe::testing {

struct HttpResponse {
  int status = 0;
  std::string headers;  // the status line and headers, as received
  std::string body;
};

// GET http://host_port/target over HTTP/1.0 (no chunking), with an optional
// basic-auth user and password. Times out after `timeout_seconds`.
absl::StatusOr<HttpResponse> HttpGet(const std::string& host_port, const std::string& target,
                                     const std::string& user = "", const std::string& password = "",
                                     int timeout_seconds = 10);

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& text);

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A parsed /metrics page.
struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family name -> counter|gauge|histogram...

  // Samples named `name` whose labels include every pair of `labels`.
  std::vector<Sample> Find(const std::string& name,
                           const std::map<std::string, std::string>& labels = {}) const;
  // The value of the only such sample; nullopt if none or several match.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // Sample names and family names (a histogram's family and its _bucket,
  // _sum and _count samples).
  std::set<std::string> Names() const;
};

// Parses the text format (HELP/TYPE comments, escaped label values, NaN and
// +Inf); an error names the offending line.
absl::StatusOr<Exposition> ParseExposition(const std::string& text);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// Every `camoe_...` metric name mentioned in `text`.
std::set<std::string> CamoeMetricNames(const std::string& text);

// The PromQL of every panel target ("expr") in a Grafana dashboard JSON; an
// error if the JSON does not parse.
absl::StatusOr<std::vector<std::string>> GrafanaExpressions(const std::string& json);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_METRICS_TEST_UTIL_H_
