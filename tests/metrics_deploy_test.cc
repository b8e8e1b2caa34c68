// The deploy/ monitoring files against the exporter: promtool accepts the
// scrape config and the alert rules and passes their unit tests, the Grafana
// dashboard is valid JSON whose queries name only metrics the exporter really
// serves, and docs/operations.md documents exactly those metrics.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <set>
#include <string>

#include "common/file_util.h"
#include "coordinator/metrics/metrics_exporter.h"
#include "gtest/gtest.h"
#include "tests/metrics_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::CamoeMetricNames;
using ::camoe::testing::SourceDir;

constexpr char kPromtool[] = "/usr/bin/promtool";

std::string ReadSource(const std::string& relative) {
  auto text = ReadFile(SourceDir() + "/" + relative);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// What a scrape shows after the exporter has seen every kind of report.
std::set<std::string> ExportedNames() {
  MetricsExporterOptions options;
  options.bind_address = "127.0.0.1:0";
  auto exporter = MetricsExporter::Start(options);
  EXPECT_TRUE(exporter.ok()) << exporter.status();
  if (!exporter.ok()) return {};
  MetricsExporter& e = **exporter;
  StepReport step;
  step.set_step(1);
  step.set_epoch(0);
  step.set_total_steps(10);
  step.set_loss(1);
  for (int i = 0; i < 3; ++i) step.add_stream_loss(0.3);
  for (int i = 0; i < 3; ++i) step.add_gate_mean(0.3);
  step.set_lr_head(1e-4);
  step.set_lr_clip(1e-7);
  step.set_grad_norm(1);
  step.set_clips_per_second(100);
  step.set_step_seconds(0.3);
  step.set_data_wait_seconds(0.01);
  step.set_gather_seconds(0.01);
  step.set_sync_seconds(0.01);
  step.set_sync_hidden_fraction(0.5);
  step.set_samples(32);
  step.set_dropped(0);
  EvaluationReport evaluation;
  evaluation.set_step(1);
  evaluation.set_videos(10);
  evaluation.set_captions(100);
  evaluation.set_unreadable_videos(0);
  evaluation.set_seconds(1);
  for (int i = 0; i < 3; ++i) evaluation.add_gate_mean(0.3);
  RetrievalResult* r = evaluation.add_results();
  r->set_stream("fusion");
  r->set_direction("t2v");
  r->set_variant("plain");
  r->set_r1(1);
  r->set_r5(5);
  r->set_r10(10);
  r->set_mdr(3);
  r->set_mnr(4);
  e.OnJobState("job-1", JOB_RUNNING, 1);
  e.OnStep("job-1", step);
  e.OnEvaluation("job-1", evaluation);
  e.OnJobFailure("job-1", "oom");
  e.SetQueueDepth(1);
  e.SetWorkers(1, 1);
  e.SetOldestHeartbeatAge(1);
  auto response = camoe::testing::HttpGet(e.address(), "/metrics");
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return {};
  auto page = camoe::testing::ParseExposition(response->body);
  EXPECT_TRUE(page.ok()) << page.status();
  return page.ok() ? page->Names() : std::set<std::string>{};
}

class MonitoringFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { exported_ = new std::set<std::string>(ExportedNames()); }
  static void TearDownTestSuite() { delete exported_; }

  // Fails for every name in `used` that the exporter does not serve.
  static void ExpectExported(const std::set<std::string>& used, const std::string& where) {
    EXPECT_FALSE(used.empty()) << where << " names no camoe metric";
    for (const std::string& name : used) {
      EXPECT_EQ(exported_->count(name), 1u)
          << where << " uses " << name << ", which the exporter does not serve";
    }
  }

  static void RunPromtool(const std::string& arguments) {
    if (::access(kPromtool, X_OK) != 0) {
      GTEST_SKIP() << kPromtool << " is missing (Debian package prometheus); not checked";
    }
    std::string out;
    const int rc = camoe::testing::RunCommand(
        "cd " + SourceDir() + "/deploy && " + kPromtool + " " + arguments + " 2>&1", &out);
    EXPECT_EQ(rc, 0) << "promtool " << arguments << ":\n" << out;
  }

  static std::set<std::string>* exported_;
};

std::set<std::string>* MonitoringFilesTest::exported_ = nullptr;

TEST_F(MonitoringFilesTest, PromtoolAcceptsTheScrapeConfig) {
  RunPromtool("check config prometheus.yml");
}

TEST_F(MonitoringFilesTest, PromtoolAcceptsTheAlertRules) { RunPromtool("check rules alerts.yml"); }

TEST_F(MonitoringFilesTest, AlertRuleUnitTestsPass) { RunPromtool("test rules alerts_test.yml"); }

TEST_F(MonitoringFilesTest, AlertsUseOnlyExportedMetrics) {
  ExpectExported(CamoeMetricNames(ReadSource("deploy/alerts.yml")), "deploy/alerts.yml");
}

TEST_F(MonitoringFilesTest, GrafanaDashboardParsesAndQueriesOnlyExportedMetrics) {
  const std::string json = ReadSource("deploy/grafana/camoe-dashboard.json");
  auto expressions = camoe::testing::GrafanaExpressions(json);
  ASSERT_TRUE(expressions.ok()) << "deploy/grafana/camoe-dashboard.json: " << expressions.status();
  google::protobuf::Struct dashboard;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &dashboard).ok());

  EXPECT_GE(expressions->size(), 20u);
  std::set<std::string> used;
  for (const std::string& e : *expressions) {
    EXPECT_FALSE(CamoeMetricNames(e).empty()) << "no camoe metric in: " << e;
    for (const std::string& name : CamoeMetricNames(e)) used.insert(name);
  }
  ExpectExported(used, "deploy/grafana/camoe-dashboard.json");
  // Nothing outside the expressions names a metric either (titles, links).
  ExpectExported(CamoeMetricNames(json), "deploy/grafana/camoe-dashboard.json");

  const auto& fields = dashboard.fields();
  ASSERT_TRUE(fields.count("panels"));
  EXPECT_GE(fields.at("panels").list_value().values_size(), 15);
  EXPECT_EQ(fields.at("uid").string_value(), "camoe-training");
}

TEST_F(MonitoringFilesTest, OperationsDocDocumentsExactlyTheExportedMetrics) {
  const std::string doc = ReadSource("docs/operations.md");
  const std::set<std::string> documented = CamoeMetricNames(doc);
  ExpectExported(documented, "docs/operations.md");
  for (const std::string& name : *exported_) {
    // A histogram's _bucket/_sum/_count samples are documented with it.
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          exported_->count(family.substr(0, family.size() - s.size()))) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_NE(doc.find("`" + family + "`"), std::string::npos)
        << "docs/operations.md has no row for " << family;
  }
}

}  // namespace
}  // namespace camoe::coordinator
