// MetricsExporter over real HTTP: each test starts an exporter on a free
// loopback port, feeds it reports and reads /metrics back through a plain
// socket, then checks names, labels and values as a scraper sees them.
#include "coordinator/metrics/metrics_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/metrics_test_util.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::Exposition;
using ::camoe::testing::HttpGet;
using ::camoe::testing::ParseExposition;

constexpr int64_t kStartMs = 1'700'000'000'000;

StepReport MakeStep(int64_t step, double loss, double step_seconds) {
  StepReport s;
  s.set_step(step);
  s.set_epoch(1);
  s.set_total_steps(100);
  s.set_loss(loss);
  s.add_stream_loss(loss * 0.5);
  s.add_stream_loss(loss * 0.3);
  s.add_stream_loss(loss * 0.2);
  s.set_lr_head(1e-4);
  s.set_lr_clip(1e-7);
  s.set_grad_norm(0.75);
  s.set_clips_per_second(160);
  s.set_step_seconds(step_seconds);
  s.set_data_wait_seconds(0.01);
  s.set_gather_seconds(0.02);
  s.set_sync_seconds(0.1);
  s.set_sync_hidden_fraction(0.8);
  s.add_gate_mean(0.15);
  s.add_gate_mean(0.79);
  s.add_gate_mean(0.06);
  s.set_samples(32);
  s.set_dropped(1);
  return s;
}

RetrievalResult* AddResult(EvaluationReport* e, const std::string& stream,
                           const std::string& direction, const std::string& variant, double r1) {
  RetrievalResult* r = e->add_results();
  r->set_stream(stream);
  r->set_direction(direction);
  r->set_variant(variant);
  r->set_r1(r1);
  r->set_r5(r1 * 2);
  r->set_r10(r1 * 3);
  r->set_mdr(7);
  r->set_mnr(11.5);
  r->set_queries(460);
  return r;
}

class MetricsExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { exporter_ = StartOrDie({}); }

  std::unique_ptr<MetricsExporter> StartOrDie(MetricsExporterOptions options) {
    options.bind_address = "127.0.0.1:0";
    options.clock_ms = [this] { return now_ms_.load(); };
    auto exporter = MetricsExporter::Start(options);
    EXPECT_TRUE(exporter.ok()) << exporter.status();
    return exporter.ok() ? std::move(exporter).value() : nullptr;
  }

  Exposition Scrape(MetricsExporter* exporter = nullptr) {
    if (exporter == nullptr) exporter = exporter_.get();
    auto response = HttpGet(exporter->address(), "/metrics");
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    EXPECT_EQ(response->status, 200) << response->headers;
    auto parsed = ParseExposition(response->body);
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : Exposition{};
  }

  std::atomic<int64_t> now_ms_{kStartMs};
  std::unique_ptr<MetricsExporter> exporter_;
};

TEST_F(MetricsExporterTest, ServesOnThePickedPortWithProcessWideGauges) {
  ASSERT_NE(exporter_, nullptr);
  const std::string address = exporter_->address();
  ASSERT_EQ(address.rfind("127.0.0.1:", 0), 0u) << address;
  EXPECT_NE(address, "127.0.0.1:0");
  Exposition page = Scrape();
  EXPECT_EQ(page.Value("camoe_coordinator_start_time_seconds"), kStartMs / 1000.0);
  EXPECT_EQ(page.Value("camoe_queue_depth"), 0);
  EXPECT_EQ(page.Value("camoe_workers_up"), 0);
  EXPECT_EQ(page.types["camoe_queue_depth"], "gauge");

  exporter_->SetQueueDepth(4);
  exporter_->SetWorkers(7, 8);
  exporter_->SetOldestHeartbeatAge(2.5);
  page = Scrape();
  EXPECT_EQ(page.Value("camoe_queue_depth"), 4);
  EXPECT_EQ(page.Value("camoe_workers_up"), 7);
  EXPECT_EQ(page.Value("camoe_workers_registered"), 8);
  EXPECT_EQ(page.Value("camoe_worker_oldest_heartbeat_age_seconds"), 2.5);
}

TEST_F(MetricsExporterTest, StepsBecomeGaugesCountersAndAStepTimeHistogram) {
  const std::vector<double> step_times = {0.2, 0.7, 3.0};
  for (size_t i = 0; i < step_times.size(); ++i) {
    now_ms_ += 1000;
    exporter_->OnStep("job-1", MakeStep(static_cast<int64_t>(i + 1), 2.0 - 0.5 * i, step_times[i]));
  }
  Exposition page = Scrape();
  const std::map<std::string, std::string> job = {{"job_id", "job-1"}};
  EXPECT_EQ(page.Value("camoe_train_loss", job), 1.0);
  EXPECT_EQ(page.Value("camoe_train_stream_loss", {{"job_id", "job-1"}, {"stream", "entity"}}),
            0.3);
  EXPECT_EQ(page.Value("camoe_train_learning_rate", {{"job_id", "job-1"}, {"group", "head"}}),
            1e-4);
  EXPECT_EQ(page.Value("camoe_train_learning_rate", {{"job_id", "job-1"}, {"group", "clip"}}),
            1e-7);
  EXPECT_EQ(page.Value("camoe_train_gate_weight", {{"job_id", "job-1"}, {"stream", "entity"}}),
            0.79);
  EXPECT_EQ(page.Value("camoe_job_step", job), 3);
  EXPECT_EQ(page.Value("camoe_job_total_steps", job), 100);
  EXPECT_EQ(page.Value("camoe_job_last_step_timestamp_seconds", job), (kStartMs + 3000) / 1000.0);
  EXPECT_EQ(page.Value("camoe_train_steps_total", job), 3);
  EXPECT_EQ(page.Value("camoe_train_samples_total", job), 96);
  EXPECT_EQ(page.Value("camoe_train_dropped_videos_total", job), 3);
  EXPECT_NEAR(*page.Value("camoe_train_data_wait_seconds_total", job), 0.03, 1e-12);
  EXPECT_NEAR(*page.Value("camoe_train_gather_seconds_total", job), 0.06, 1e-12);
  EXPECT_NEAR(*page.Value("camoe_train_sync_seconds_total", job), 0.3, 1e-12);
  EXPECT_NEAR(*page.Value("camoe_train_sync_hidden_seconds_total", job), 0.24, 1e-12);
  EXPECT_EQ(page.Value("camoe_train_nonfinite_steps_total", job), 0);
  EXPECT_EQ(page.types["camoe_train_steps_total"], "counter");

  // The histogram: cumulative buckets, +Inf equal to the count, sum of times.
  EXPECT_EQ(page.types["camoe_train_step_duration_seconds"], "histogram");
  auto bucket = [&](const std::string& le) {
    return page.Value("camoe_train_step_duration_seconds_bucket",
                      {{"job_id", "job-1"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.1"), 0);
  EXPECT_EQ(bucket("0.25"), 1);
  EXPECT_EQ(bucket("1"), 2);
  EXPECT_EQ(bucket("5"), 3);
  EXPECT_EQ(bucket("+Inf"), 3);
  EXPECT_EQ(page.Value("camoe_train_step_duration_seconds_count", job), 3);
  EXPECT_NEAR(*page.Value("camoe_train_step_duration_seconds_sum", job), 3.9, 1e-12);
  double previous = 0;
  for (const auto& s : page.Find("camoe_train_step_duration_seconds_bucket", job)) {
    EXPECT_GE(s.value, previous) << "buckets must be cumulative, le=" << s.labels.at("le");
    previous = s.value;
  }
}

TEST_F(MetricsExporterTest, CountersNeverDecreaseEvenWithBadDurations) {
  const std::vector<std::string> counters = {"camoe_train_steps_total",
                                             "camoe_train_samples_total",
                                             "camoe_train_data_wait_seconds_total",
                                             "camoe_train_gather_seconds_total",
                                             "camoe_train_sync_seconds_total",
                                             "camoe_train_sync_hidden_seconds_total",
                                             "camoe_train_step_duration_seconds_count",
                                             "camoe_train_step_duration_seconds_sum"};
  std::map<std::string, double> last;
  for (int i = 1; i <= 6; ++i) {
    StepReport step = MakeStep(i, 1.0, 0.5);
    if (i == 3) step.set_data_wait_seconds(-1);  // a clock step back on a worker
    if (i == 4) step.set_step_seconds(std::nan(""));
    if (i == 5) step.set_sync_hidden_fraction(7);  // clamped to 1
    exporter_->OnStep("job-1", step);
    Exposition page = Scrape();
    for (const std::string& name : counters) {
      const std::optional<double> value = page.Value(name, {{"job_id", "job-1"}});
      ASSERT_TRUE(value.has_value()) << name;
      EXPECT_GE(*value, last[name]) << name << " after step " << i;
      last[name] = *value;
    }
  }
  EXPECT_EQ(last["camoe_train_steps_total"], 6);
  EXPECT_EQ(last["camoe_train_step_duration_seconds_count"], 5);  // the NaN one is left out
  EXPECT_NEAR(last["camoe_train_sync_hidden_seconds_total"], 5 * 0.08 + 0.1, 1e-12);
}

TEST_F(MetricsExporterTest, EvaluationExportsRecallAsARatioPerStreamDirectionVariantAndK) {
  EvaluationReport e;
  e.set_step(384);
  e.set_videos(46);
  e.set_captions(460);
  e.set_unreadable_videos(0);
  e.set_seconds(4.5);
  AddResult(&e, "fusion", "t2v", "plain", 17.6);
  AddResult(&e, "fusion", "t2v", "dsl", 20.0);
  AddResult(&e, "fusion", "v2t", "qbnorm", 21.7);
  AddResult(&e, "Fusion Stream!", "t2v", "plain", 50);  // not a label value: ignored
  e.add_gate_mean(0.15);
  e.add_gate_mean(0.79);
  e.add_gate_mean(0.06);
  exporter_->OnEvaluation("job-1", e);

  Exposition page = Scrape();
  auto recall = [&](const std::string& direction, const std::string& variant,
                    const std::string& k) {
    return page.Value("camoe_eval_recall_ratio", {{"job_id", "job-1"},
                                                  {"stream", "fusion"},
                                                  {"direction", direction},
                                                  {"variant", variant},
                                                  {"k", k}});
  };
  EXPECT_NEAR(*recall("t2v", "plain", "1"), 0.176, 1e-12);
  EXPECT_NEAR(*recall("t2v", "plain", "5"), 0.352, 1e-12);
  EXPECT_NEAR(*recall("t2v", "plain", "10"), 0.528, 1e-12);
  EXPECT_NEAR(*recall("t2v", "dsl", "1"), 0.2, 1e-12);
  EXPECT_NEAR(*recall("v2t", "qbnorm", "1"), 0.217, 1e-12);
  EXPECT_EQ(page.Find("camoe_eval_recall_ratio").size(), 9u);
  for (const auto& s : page.Find("camoe_eval_recall_ratio")) {
    EXPECT_GE(s.value, 0);
    EXPECT_LE(s.value, 1);
  }
  EXPECT_EQ(page.Value("camoe_eval_median_rank", {{"variant", "plain"}}), 7);
  EXPECT_EQ(page.Value("camoe_eval_mean_rank", {{"variant", "dsl"}}), 11.5);
  EXPECT_EQ(page.Value("camoe_eval_captions", {{"job_id", "job-1"}}), 460);
  EXPECT_EQ(page.Value("camoe_eval_step", {{"job_id", "job-1"}}), 384);
  EXPECT_EQ(page.Value("camoe_eval_duration_seconds", {{"job_id", "job-1"}}), 4.5);
  EXPECT_EQ(page.Value("camoe_eval_gate_weight", {{"stream", "action"}}), 0.06);
  EXPECT_EQ(page.Value("camoe_eval_evaluations_total", {{"job_id", "job-1"}}), 1);

  // A later evaluation without QB-Norm replaces the figures and drops the
  // variant it no longer reports.
  EvaluationReport next;
  AddResult(&next, "fusion", "t2v", "plain", 30);
  exporter_->OnEvaluation("job-1", next);
  page = Scrape();
  EXPECT_NEAR(*recall("t2v", "plain", "1"), 0.3, 1e-12);
  EXPECT_FALSE(recall("v2t", "qbnorm", "1").has_value());
  EXPECT_EQ(page.Find("camoe_eval_recall_ratio").size(), 3u);
  EXPECT_EQ(page.Value("camoe_eval_evaluations_total", {{"job_id", "job-1"}}), 2);
}

TEST_F(MetricsExporterTest, JobStateIsOneSeriesPerJobForTheCurrentState) {
  exporter_->OnJobState("job-1", JOB_QUEUED, kStartMs);
  exporter_->OnJobState("job-2", JOB_QUEUED, kStartMs + 10);
  exporter_->OnJobState("job-1", JOB_SCHEDULED, kStartMs + 2000);
  exporter_->OnJobState("job-1", JOB_RUNNING, kStartMs + 5000);
  Exposition page = Scrape();
  const auto job1 = page.Find("camoe_job_state", {{"job_id", "job-1"}});
  ASSERT_EQ(job1.size(), 1u);
  EXPECT_EQ(job1[0].labels.at("state"), "running");
  EXPECT_EQ(job1[0].value, 1);
  EXPECT_EQ(page.Value("camoe_job_state", {{"job_id", "job-2"}, {"state", "queued"}}), 1);
  EXPECT_EQ(page.Value("camoe_job_state_timestamp_seconds", {{"job_id", "job-1"}}),
            (kStartMs + 5000) / 1000.0);

  exporter_->OnJobState("job-1", JOB_RESTARTING, kStartMs + 9000);
  exporter_->OnJobState("job-1", JOB_RUNNING, kStartMs + 12000);
  exporter_->OnJobState("job-1", JOB_SUCCEEDED, kStartMs + 20000);
  page = Scrape();
  ASSERT_EQ(page.Find("camoe_job_state", {{"job_id", "job-1"}}).size(), 1u);
  EXPECT_EQ(page.Value("camoe_job_state", {{"job_id", "job-1"}, {"state", "succeeded"}}), 1);
}

TEST_F(MetricsExporterTest, NonFiniteLossIsExportedAsIsAndCounted) {
  exporter_->OnStep("job-1", MakeStep(1, 1.5, 0.2));
  EXPECT_EQ(Scrape().Value("camoe_train_nonfinite_steps_total", {{"job_id", "job-1"}}), 0);
  exporter_->OnStep("job-1", MakeStep(2, std::nan(""), 0.2));
  StepReport inf_norm = MakeStep(3, 1.0, 0.2);
  inf_norm.set_grad_norm(INFINITY);
  exporter_->OnStep("job-1", inf_norm);
  Exposition page = Scrape();
  EXPECT_EQ(page.Value("camoe_train_nonfinite_steps_total", {{"job_id", "job-1"}}), 2);
  EXPECT_TRUE(std::isinf(*page.Value("camoe_train_grad_norm", {{"job_id", "job-1"}})));
  exporter_->OnStep("job-2", MakeStep(1, std::nan(""), 0.2));
  page = Scrape();
  EXPECT_TRUE(std::isnan(*page.Value("camoe_train_loss", {{"job_id", "job-2"}})));
  EXPECT_EQ(page.Value("camoe_train_nonfinite_steps_total", {{"job_id", "job-2"}}), 1);
}

TEST_F(MetricsExporterTest, FailuresAreCountedByClassStartingFromZero) {
  exporter_->OnJobState("job-1", JOB_QUEUED, kStartMs);
  Exposition page = Scrape();
  for (const char* c : {"non_finite", "worker_lost", "config", "oom", "data", "other"}) {
    EXPECT_EQ(page.Value("camoe_job_failures_total", {{"job_id", "job-1"}, {"class", c}}), 0) << c;
  }
  exporter_->OnJobFailure("job-1", "worker_lost");
  exporter_->OnJobFailure("job-1", "worker_lost");
  exporter_->OnJobFailure("job-1", "non_finite");
  exporter_->OnJobFailure("job-1", "Out Of Memory!");  // not a label value: "other"
  exporter_->OnJobFailure("job-1", "timeout");         // a new short name is kept
  page = Scrape();
  auto failures = [&](const std::string& c) {
    return page.Value("camoe_job_failures_total", {{"job_id", "job-1"}, {"class", c}});
  };
  EXPECT_EQ(failures("worker_lost"), 2);
  EXPECT_EQ(failures("non_finite"), 1);
  EXPECT_EQ(failures("other"), 1);
  EXPECT_EQ(failures("timeout"), 1);
  EXPECT_EQ(failures("oom"), 0);
}

TEST_F(MetricsExporterTest, RemovingAJobDropsEveryOneOfItsSeries) {
  EvaluationReport e;
  AddResult(&e, "fusion", "t2v", "plain", 10);
  for (const std::string id : {"job-1", "job-2"}) {
    exporter_->OnJobState(id, JOB_RUNNING, kStartMs);
    exporter_->OnStep(id, MakeStep(1, 1.0, 0.3));
    exporter_->OnEvaluation(id, e);
    exporter_->OnJobFailure(id, "data");
  }
  Exposition before = Scrape();
  size_t job1_series = 0;
  for (const auto& s : before.samples)
    job1_series += s.labels.count("job_id") && s.labels.at("job_id") == "job-1";
  EXPECT_GT(job1_series, 40u);

  exporter_->OnJobRemoved("job-1");
  exporter_->OnJobRemoved("job-unknown");  // harmless
  Exposition after = Scrape();
  size_t job2_series = 0;
  for (const auto& s : after.samples) {
    auto it = s.labels.find("job_id");
    if (it == s.labels.end()) continue;
    EXPECT_NE(it->second, "job-1") << s.name;
    job2_series += it->second == "job-2";
  }
  EXPECT_EQ(job2_series, job1_series);  // the other job is intact
  EXPECT_EQ(after.Value("camoe_train_loss", {{"job_id", "job-2"}}), 1.0);

  // A removed job that reports again (a late message) starts afresh.
  exporter_->OnStep("job-1", MakeStep(2, 0.5, 0.3));
  EXPECT_EQ(Scrape().Value("camoe_train_steps_total", {{"job_id", "job-1"}}), 1);
}

TEST_F(MetricsExporterTest, BasicAuthRejectsMissingOrWrongCredentials) {
  MetricsExporterOptions options;
  options.basic_auth_user = "prometheus";
  options.basic_auth_password = "s3cret";
  std::unique_ptr<MetricsExporter> secured = StartOrDie(options);
  ASSERT_NE(secured, nullptr);
  secured->SetQueueDepth(3);

  auto none = HttpGet(secured->address(), "/metrics");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->body.find("camoe_queue_depth"), std::string::npos);
  auto wrong = HttpGet(secured->address(), "/metrics", "prometheus", "guess");
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_EQ(wrong->status, 401);
  auto wrong_user = HttpGet(secured->address(), "/metrics", "admin", "s3cret");
  ASSERT_TRUE(wrong_user.ok()) << wrong_user.status();
  EXPECT_EQ(wrong_user->status, 401);
  auto right = HttpGet(secured->address(), "/metrics", "prometheus", "s3cret");
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(right->status, 200);
  auto page = ParseExposition(right->body);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->Value("camoe_queue_depth"), 3);
}

TEST_F(MetricsExporterTest, ABusyPortGivesAnErrorNamingTheAddress) {
  // Hold a listening socket on a port, then ask the exporter for it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  MetricsExporterOptions options;
  options.bind_address = address;
  auto busy = MetricsExporter::Start(options);
  ::close(fd);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(busy.status().message());
  EXPECT_NE(message.find(address), std::string::npos) << message;
  EXPECT_NE(message.find("Address already in use"), std::string::npos) << message;
  std::cout << "error: " << message << "\n";

  // The exporter already running on its own port is unaffected.
  EXPECT_EQ(HttpGet(exporter_->address(), "/metrics")->status, 200);
}

TEST_F(MetricsExporterTest, MalformedAddressesAndHalfSetCredentialsAreRefused) {
  for (const std::string bad :
       {"9464", ":9464", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:94x4", "[::1]:9464"}) {
    MetricsExporterOptions options;
    options.bind_address = bad;
    auto exporter = MetricsExporter::Start(options);
    ASSERT_FALSE(exporter.ok()) << bad;
    EXPECT_EQ(exporter.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(exporter.status().message().find(bad), std::string::npos)
        << exporter.status().message();
  }
  MetricsExporterOptions half;
  half.bind_address = "127.0.0.1:0";
  half.basic_auth_user = "prometheus";
  auto exporter = MetricsExporter::Start(half);
  ASSERT_FALSE(exporter.ok());
  EXPECT_EQ(exporter.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MetricsExporterTest, ConcurrentReportsAndScrapesAreConsistent) {
  constexpr int kThreads = 4;
  constexpr int kSteps = 300;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) {
      auto response = HttpGet(exporter_->address(), "/metrics");
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_TRUE(ParseExposition(response->body).ok());
    }
  });
  std::vector<std::thread> reporters;
  for (int t = 0; t < kThreads; ++t) {
    reporters.emplace_back([&, t] {
      const std::string id = "job-" + std::to_string(t % 2);  // two threads per job
      EvaluationReport e;
      AddResult(&e, "fusion", "t2v", t % 2 ? "dsl" : "plain", 10);
      for (int i = 0; i < kSteps; ++i) {
        exporter_->OnStep(id, MakeStep(i, 1.0, 0.1));
        if (i % 50 == 0) exporter_->OnEvaluation(id, e);
        if (i % 30 == 0) exporter_->OnJobState(id, i % 60 ? JOB_RUNNING : JOB_RESTARTING, kStartMs);
        if (t == 3 && i % 100 == 0) exporter_->OnJobRemoved("job-scratch");
        if (t == 2) exporter_->OnStep("job-scratch", MakeStep(i, 1.0, 0.1));
        exporter_->SetQueueDepth(i);
      }
    });
  }
  for (std::thread& r : reporters) r.join();
  done = true;
  scraper.join();
  Exposition page = Scrape();
  EXPECT_EQ(page.Value("camoe_train_steps_total", {{"job_id", "job-0"}}), 2 * kSteps);
  EXPECT_EQ(page.Value("camoe_train_steps_total", {{"job_id", "job-1"}}), 2 * kSteps);
  EXPECT_EQ(page.Find("camoe_job_state", {{"job_id", "job-0"}}).size(), 1u);
}

}  // namespace
}  // namespace camoe::coordinator
