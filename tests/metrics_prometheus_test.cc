// A real Prometheus server (Debian's /usr/bin/prometheus) scrapes an
// in-process MetricsExporter with basic auth, loads deploy/alerts.yml, and
// answers queries: the loss and a recall read back through its HTTP API, every
// Grafana panel query evaluates, every alert rule is healthy. The server runs
// on a free loopback port with its storage in a temporary folder and is
// stopped with SIGTERM (SIGKILL after 15 s) on every path out of the test,
// and by the kernel if the test process itself is killed.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "coordinator/metrics/metrics_exporter.h"
#include "gtest/gtest.h"
#include "tests/child_process.h"
#include "tests/metrics_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::ChildProcess;
using ::camoe::testing::HttpGet;
using ::camoe::testing::UrlEncode;
using Clock = std::chrono::steady_clock;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr auto kScrapeDeadline = std::chrono::seconds(30);

// GET /api/v1/<path> and parse {"status":"success","data":...}; returns data.
absl::StatusOr<google::protobuf::Value> Api(const std::string& address, const std::string& path) {
  auto response = HttpGet(address, "/api/v1/" + path);
  if (!response.ok()) return response.status();
  google::protobuf::Struct body;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &body).ok()) {
    return absl::DataLossError("not JSON: " + response->body.substr(0, 300));
  }
  if (response->status != 200 || body.fields().at("status").string_value() != "success") {
    return absl::InvalidArgumentError("HTTP " + std::to_string(response->status) + ": " +
                                      response->body.substr(0, 500));
  }
  return body.fields().at("data");
}

absl::StatusOr<google::protobuf::ListValue> Query(const std::string& address,
                                                  const std::string& promql) {
  auto data = Api(address, "query?query=" + UrlEncode(promql));
  if (!data.ok()) return data.status();
  return data->struct_value().fields().at("result").list_value();
}

class PrometheusServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kPrometheus, X_OK) != 0) {
      GTEST_SKIP() << kPrometheus << " is missing (Debian package prometheus); "
                   << "the real-server test did not run";
    }
    dir_ = camoe::testing::TempDir("metrics_prometheus");
  }

  // The server's storage and log stay for a look when the test failed.
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string LogTail() {
    auto log = ReadFile(dir_ + "/prometheus.log");
    if (!log.ok()) return "(no log)";
    return log->size() > 3000 ? log->substr(log->size() - 3000) : *log;
  }

  std::string dir_;
};

TEST_F(PrometheusServerTest, ScrapesTheExporterAndAnswersQueriesDashboardsAndRules) {
  MetricsExporterOptions options;
  options.bind_address = "127.0.0.1:0";
  options.basic_auth_user = "prometheus";
  options.basic_auth_password = "test-password";
  auto exporter = MetricsExporter::Start(options);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  MetricsExporter& e = **exporter;

  e.OnJobState("job-000001", JOB_RUNNING, 1'700'000'000'000);
  StepReport step;
  step.set_step(1);
  step.set_loss(1.25);
  step.set_step_seconds(0.3);
  step.set_sync_seconds(0.01);
  step.set_sync_hidden_fraction(1);
  e.OnStep("job-000001", step);
  EvaluationReport evaluation;
  RetrievalResult* r = evaluation.add_results();
  r->set_stream("fusion");
  r->set_direction("t2v");
  r->set_variant("plain");
  r->set_r1(17.6);
  r->set_r5(43.9);
  r->set_r10(60);
  e.OnEvaluation("job-000001", evaluation);

  const std::string password_file = dir_ + "/password";
  std::ofstream(password_file) << "test-password";
  const std::string config = dir_ + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                        << "  scrape_interval: 1s\n"
                        << "  evaluation_interval: 1s\n"
                        << "rule_files:\n"
                        << "  - " << camoe::testing::SourceDir() << "/deploy/alerts.yml\n"
                        << "scrape_configs:\n"
                        << "  - job_name: camoe-coordinator\n"
                        << "    basic_auth:\n"
                        << "      username: prometheus\n"
                        << "      password_file: " << password_file << "\n"
                        << "    static_configs:\n"
                        << "      - targets: [\"" << e.address() << "\"]\n";
  const int port = camoe::testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);

  ChildProcess prometheus;
  ASSERT_TRUE(prometheus.Spawn(
      {kPrometheus, "--config.file=" + config, "--storage.tsdb.path=" + dir_ + "/data",
       "--web.listen-address=" + address, "--log.level=info"},
      dir_ + "/prometheus.log"));

  // Bounded wait until a scrape has landed (Prometheus starts in ~1 s and
  // scrapes every second).
  const auto start = Clock::now();
  google::protobuf::ListValue loss;
  while (Clock::now() - start < kScrapeDeadline) {
    ASSERT_FALSE(prometheus.Exited()) << "prometheus exited:\n" << LogTail();
    auto result = Query(address, "camoe_train_loss");
    if (result.ok() && result->values_size() > 0) {
      loss = *result;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(loss.values_size(), 1) << "no scrape within 30 s:\n" << LogTail();
  std::cout << "first scrape visible after "
            << std::chrono::duration<double>(Clock::now() - start).count() << " s\n";
  const auto& sample = loss.values(0).struct_value().fields();
  const auto& labels = sample.at("metric").struct_value().fields();
  EXPECT_EQ(labels.at("job_id").string_value(), "job-000001");
  EXPECT_EQ(labels.at("job").string_value(), "camoe-coordinator");  // the scrape job, untouched
  EXPECT_EQ(sample.at("value").list_value().values(1).string_value(), "1.25");

  auto recall = Query(address,
                      "camoe_eval_recall_ratio{job_id=\"job-000001\",stream=\"fusion\","
                      "direction=\"t2v\",variant=\"plain\",k=\"1\"}");
  ASSERT_TRUE(recall.ok()) << recall.status();
  ASSERT_EQ(recall->values_size(), 1);
  EXPECT_DOUBLE_EQ(std::stod(recall->values(0)
                                 .struct_value()
                                 .fields()
                                 .at("value")
                                 .list_value()
                                 .values(1)
                                 .string_value()),
                   0.176);

  // Later reports arrive with later scrapes.
  step.set_step(2);
  step.set_loss(0.5);
  e.OnStep("job-000001", step);
  std::string latest;
  while (Clock::now() - start < kScrapeDeadline + std::chrono::seconds(10) && latest != "0.5") {
    auto result = Query(address, "camoe_train_loss");
    if (result.ok() && result->values_size() == 1) {
      latest = result->values(0)
                   .struct_value()
                   .fields()
                   .at("value")
                   .list_value()
                   .values(1)
                   .string_value();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_EQ(latest, "0.5");

  // Every dashboard query is valid PromQL once Grafana's variables are filled.
  auto json = ReadFile(camoe::testing::SourceDir() + "/deploy/grafana/camoe-dashboard.json");
  ASSERT_TRUE(json.ok()) << json.status();
  auto expressions = camoe::testing::GrafanaExpressions(*json);
  ASSERT_TRUE(expressions.ok()) << expressions.status();
  for (const std::string& expr : *expressions) {
    const std::string promql = absl::StrReplaceAll(
        expr,
        {{"$__rate_interval", "1m"}, {"$__range", "1h"}, {"$job_id", ".*"}, {"$stream", "fusion"}});
    auto result = Query(address, promql);
    EXPECT_TRUE(result.ok()) << promql << ": " << result.status();
  }

  // The alert rules loaded and evaluate without errors.
  bool all_ok = false;
  int rules = 0;
  std::string last_error;
  while (Clock::now() - start < kScrapeDeadline + std::chrono::seconds(20) && !all_ok) {
    auto data = Api(address, "rules");
    ASSERT_TRUE(data.ok()) << data.status();
    all_ok = true;
    rules = 0;
    for (const auto& group : data->struct_value().fields().at("groups").list_value().values()) {
      for (const auto& rule : group.struct_value().fields().at("rules").list_value().values()) {
        const auto& f = rule.struct_value().fields();
        ++rules;
        if (f.at("health").string_value() != "ok") {
          all_ok = false;
          last_error = f.at("name").string_value() + ": " + f.at("health").string_value() +
                       (f.count("lastError") ? " " + f.at("lastError").string_value() : "");
        }
      }
    }
    if (!all_ok) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(all_ok) << last_error;
  EXPECT_EQ(rules, 9);

  const int status = prometheus.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "prometheus did not exit cleanly on SIGTERM (status " << status << "):\n"
      << LogTail();
}

}  // namespace
}  // namespace camoe::coordinator
