#include "coordinator/metrics/metrics_exporter.h"

#include <CivetServer.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "coordinator/metrics/metric_families.h"
#include "prometheus/exposer.h"

namespace camoe::coordinator {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

// The label naming a job is `job_id`, not `job`: Prometheus attaches the
// scrape job's name as `job` to every series it stores, and an exported `job`
// label would be renamed `exported_job` (or, with honor_labels, overwrite the
// scrape job). docs/operations.md repeats this for dashboard authors.
constexpr char kJobLabel[] = "job_id";

constexpr const char* kStreams[] = {"fusion", "entity", "action"};
constexpr const char* kKnownFailureClasses[] = {"non_finite", "worker_lost", "config",
                                                "oom",        "data",        "other"};

const char* StateName(JobState state) {
  switch (state) {
    case JOB_QUEUED:
      return "queued";
    case JOB_SCHEDULED:
      return "scheduled";
    case JOB_RUNNING:
      return "running";
    case JOB_SUCCEEDED:
      return "succeeded";
    case JOB_FAILED:
      return "failed";
    case JOB_CANCELLED:
      return "cancelled";
    case JOB_RESTARTING:
      return "restarting";
    default:
      return "unspecified";
  }
}

// Label values that come from peers (stream and variant names, failure
// classes) are kept only when they are short lower-case names, so a confused
// worker cannot create unbounded series.
bool IsShortName(const std::string& value) {
  if (value.empty() || value.size() > 32) return false;
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Civetweb reports why it could not listen only through its log callback, and
// only on the thread that starts the server; the exception it throws says
// "possible problem binding to port". Start captures the log on its thread.
thread_local std::string* civet_start_log = nullptr;

int CaptureCivetLog(const mg_connection*, const char* message) {
  if (civet_start_log == nullptr) return 0;  // civetweb's default handling
  if (!civet_start_log->empty()) civet_start_log->append("; ");
  civet_start_log->append(message);
  return 1;
}

// Splits "host:port"; IPv6 brackets are refused because this civetweb has no
// IPv6 support.
absl::Status ParseBindAddress(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || address.find('[') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics address \"", address,
        "\" is not HOST:PORT with an IPv4 address or host name (e.g. 127.0.0.1:9464)"));
  }
  *host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, port) || *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\" has no valid port (0-65535; 0 picks one)"));
  }
  return absl::OkStatus();
}

// Compares without an early exit, so the time taken does not reveal how much
// of a guessed credential was right.
bool SameSecret(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= given[i] ^ expected[i];
  return diff == 0;
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Finite(double v) { return std::isfinite(v); }

// Note [Fast shutdown]: civetweb's listener thread polls its socket with a
// 2 s timeout and looks at the stop flag only when the poll returns, so
// destroying the server after it served a request takes up to 2 s. While it
// stops, this connects to the port every few milliseconds, which wakes the
// poll at once. Without an address to connect to, shutdown is merely slow.
void WakeListenerUntil(const std::string& host, int port, const std::atomic<bool>& stopped) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string target = host == "0.0.0.0" ? "127.0.0.1" : host;
  if (::getaddrinfo(target.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  while (!stopped.load()) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
      ::connect(fd, found->ai_addr, found->ai_addrlen);
      ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::freeaddrinfo(found);
}

// Series of one job, remembered so OnJobRemoved can drop them all. Keyed by
// the metric's address: Family::Add returns the same metric for the same
// labels, so each series is recorded once.
using SeriesSet = std::map<const void*, std::function<void()>>;

struct JobSeries {
  SeriesSet series;        // everything below except retrieval results and state
  SeriesSet retrieval;     // the last evaluation's recall and rank series
  Gauge* state = nullptr;  // camoe_job_state{state=<current>}
  JobState state_value = JOB_STATE_UNSPECIFIED;
};

template <typename T, typename... Args>
T& Track(SeriesSet* set, Family<T>& family, const Labels& labels, Args&&... args) {
  T& metric = family.Add(labels, std::forward<Args>(args)...);
  set->try_emplace(&metric, [&family, &metric] { family.Remove(&metric); });
  return metric;
}

}  // namespace

struct MetricsExporter::State {
  int64_t NowMs() const { return clock_ms ? clock_ms() : SystemNowMs(); }

  // The job's series, created on first sight with its event counters at zero:
  // increase() misses a counter's first increment when the series is born
  // with it, and alerts look for exactly that first failure.
  JobSeries& Job(const std::string& id) {  // REQUIRES: mu held
    auto [it, inserted] = jobs.try_emplace(id);
    if (inserted) {
      for (const char* c : kKnownFailureClasses) {
        Track(&it->second.series, m.job_failures, {{kJobLabel, id}, {"class", c}});
      }
      Track(&it->second.series, m.nonfinite, {{kJobLabel, id}});
    }
    return it->second;
  }

  MetricFamilies m;
  std::function<int64_t()> clock_ms;
  std::string host;
  CivetCallbacks callbacks;

  std::mutex mu;
  std::map<std::string, JobSeries> jobs;  // GUARDED_BY(mu)

  // Declared last so it is destroyed first: the HTTP threads stop before the
  // registry they read goes away.
  std::unique_ptr<prometheus::Exposer> exposer;
};

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const MetricsExporterOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseBindAddress(options.bind_address, &host, &port); !s.ok()) return s;
  if (options.basic_auth_user.empty() != options.basic_auth_password.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics on ", options.bind_address,
                     ": basic auth needs both a user and a password (or neither, for no auth)"));
  }

  auto state = std::make_unique<State>();
  state->clock_ms = options.clock_ms;
  state->host = host;
  state->callbacks.log_message = CaptureCivetLog;
  std::string log;
  civet_start_log = &log;
  try {
    state->exposer = std::make_unique<prometheus::Exposer>(options.bind_address, /*num_threads=*/2,
                                                           &state->callbacks);
  } catch (const std::exception& e) {
    civet_start_log = nullptr;
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", options.bind_address, ": ", log.empty() ? e.what() : log,
        ". Is another coordinator or exporter using the port? Pick a free HOST:PORT "
        "(--metrics_listen) on an address of this machine"));
  }
  civet_start_log = nullptr;

  // Auth first: registering it creates the /metrics endpoint, so there is no
  // moment when the collectable is served without it.
  if (!options.basic_auth_user.empty()) {
    state->exposer->RegisterAuth(
        [user = options.basic_auth_user, password = options.basic_auth_password](
            const std::string& u, const std::string& p) {
          // Both compared always, so timing does not tell which one was wrong.
          const bool user_ok = SameSecret(u, user);
          const bool password_ok = SameSecret(p, password);
          return user_ok && password_ok;
        },
        "camoe metrics");
  }
  state->exposer->RegisterCollectable(state->m.registry);
  state->m.start_time.Add({}).Set(static_cast<double>(state->NowMs()) / 1000.0);
  for (prometheus::Family<Gauge>* f : {&state->m.queue_depth, &state->m.workers_up,
                                       &state->m.workers_registered, &state->m.heartbeat_age}) {
    f->Add({}).Set(0);
  }
  return std::unique_ptr<MetricsExporter>(new MetricsExporter(std::move(state)));
}

MetricsExporter::MetricsExporter(std::unique_ptr<State> state) : state_(std::move(state)) {}

MetricsExporter::~MetricsExporter() {
  const std::vector<int> ports = state_->exposer->GetListeningPorts();
  std::atomic<bool> stopped{false};
  std::thread waker;
  if (!ports.empty()) {
    waker = std::thread(WakeListenerUntil, state_->host, ports.front(), std::cref(stopped));
  }
  state_->exposer.reset();  // Note [Fast shutdown]
  stopped = true;
  if (waker.joinable()) waker.join();
}

std::string MetricsExporter::address() const {
  const std::vector<int> ports = state_->exposer->GetListeningPorts();
  return absl::StrCat(state_->host, ":", ports.empty() ? 0 : ports.front());
}

void MetricsExporter::OnStep(const std::string& job_id, const StepReport& step) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  JobSeries& job = s.Job(job_id);
  SeriesSet* set = &job.series;
  const Labels labels = {{kJobLabel, job_id}};

  Track(set, s.m.last_step_time, labels).Set(static_cast<double>(s.NowMs()) / 1000.0);
  if (step.has_step()) Track(set, s.m.job_step, labels).Set(static_cast<double>(step.step()));
  if (step.has_total_steps()) {
    Track(set, s.m.job_total_steps, labels).Set(static_cast<double>(step.total_steps()));
  }
  if (step.has_epoch()) Track(set, s.m.job_epoch, labels).Set(static_cast<double>(step.epoch()));

  // NaN and Inf are exported as they are: a dashboard should show the
  // divergence, not a stale finite value.
  bool nonfinite = false;
  if (step.has_loss()) {
    Track(set, s.m.loss, labels).Set(step.loss());
    nonfinite |= !Finite(step.loss());
  }
  for (int i = 0; i < step.stream_loss_size() && i < 3; ++i) {
    Track(set, s.m.stream_loss, {{kJobLabel, job_id}, {"stream", kStreams[i]}})
        .Set(step.stream_loss(i));
    nonfinite |= !Finite(step.stream_loss(i));
  }
  if (step.has_grad_norm()) {
    Track(set, s.m.grad_norm, labels).Set(step.grad_norm());
    nonfinite |= !Finite(step.grad_norm());
  }
  if (nonfinite) Track(set, s.m.nonfinite, labels).Increment();
  if (step.has_lr_head()) {
    Track(set, s.m.learning_rate, {{kJobLabel, job_id}, {"group", "head"}}).Set(step.lr_head());
  }
  if (step.has_lr_clip()) {
    Track(set, s.m.learning_rate, {{kJobLabel, job_id}, {"group", "clip"}}).Set(step.lr_clip());
  }
  if (step.has_clips_per_second()) {
    Track(set, s.m.clips_per_second, labels).Set(step.clips_per_second());
  }
  for (int i = 0; i < step.gate_mean_size() && i < 3; ++i) {
    Track(set, s.m.gate_weight, {{kJobLabel, job_id}, {"stream", kStreams[i]}})
        .Set(step.gate_mean(i));
  }

  // Durations accumulate in counters rather than per-step gauges: several
  // steps fall between two scrapes, and rate() over counters averages them
  // all, where a gauge would show only the last.
  Track(set, s.m.steps, labels).Increment();
  if (step.has_step_seconds() && Finite(step.step_seconds()) && step.step_seconds() >= 0) {
    Track(set, s.m.step_duration, labels, MetricFamilies::StepBuckets())
        .Observe(step.step_seconds());
  }
  auto add = [&](Family<Counter>& family, double value) {
    if (Finite(value) && value >= 0) Track(set, family, labels).Increment(value);
  };
  add(s.m.samples, static_cast<double>(step.samples()));
  add(s.m.dropped, static_cast<double>(step.dropped()));
  add(s.m.data_wait, step.data_wait_seconds());
  add(s.m.gather, step.gather_seconds());
  add(s.m.sync, step.sync_seconds());
  if (step.has_sync_hidden_fraction()) {
    const double hidden = std::min(1.0, std::max(0.0, step.sync_hidden_fraction()));
    add(s.m.sync_hidden, step.sync_seconds() * hidden);
  }
}

void MetricsExporter::OnEvaluation(const std::string& job_id, const EvaluationReport& evaluation) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  JobSeries& job = s.Job(job_id);
  SeriesSet* set = &job.series;
  const Labels labels = {{kJobLabel, job_id}};

  // Retrieval series of this evaluation; the previous one's that it does not
  // repeat (a variant no longer computed) are dropped below, the rest are
  // updated in place so scrapes never see a gap.
  SeriesSet fresh;
  for (const RetrievalResult& r : evaluation.results()) {
    if (!IsShortName(r.stream()) || !IsShortName(r.direction()) || !IsShortName(r.variant())) {
      continue;
    }
    Labels base = {{kJobLabel, job_id},
                   {"stream", r.stream()},
                   {"direction", r.direction()},
                   {"variant", r.variant()}};
    const std::pair<const char*, double> recalls[] = {
        {"1", r.r1()}, {"5", r.r5()}, {"10", r.r10()}};
    for (const auto& [k, percent] : recalls) {
      Labels with_k = base;
      with_k["k"] = k;
      Track(&fresh, s.m.recall, with_k).Set(percent / 100.0);  // reports carry percent
    }
    if (r.has_mdr()) Track(&fresh, s.m.median_rank, base).Set(r.mdr());
    if (r.has_mnr()) Track(&fresh, s.m.mean_rank, base).Set(r.mnr());
  }
  for (auto& [metric, remove] : job.retrieval) {
    if (fresh.count(metric) == 0) remove();
  }
  job.retrieval = std::move(fresh);

  for (int i = 0; i < evaluation.gate_mean_size() && i < 3; ++i) {
    Track(set, s.m.eval_gate_weight, {{kJobLabel, job_id}, {"stream", kStreams[i]}})
        .Set(evaluation.gate_mean(i));
  }
  if (evaluation.has_videos()) {
    Track(set, s.m.eval_videos, labels).Set(static_cast<double>(evaluation.videos()));
  }
  if (evaluation.has_captions()) {
    Track(set, s.m.eval_captions, labels).Set(static_cast<double>(evaluation.captions()));
  }
  if (evaluation.has_unreadable_videos()) {
    Track(set, s.m.eval_unreadable, labels)
        .Set(static_cast<double>(evaluation.unreadable_videos()));
  }
  if (evaluation.has_seconds()) Track(set, s.m.eval_duration, labels).Set(evaluation.seconds());
  if (evaluation.has_step()) {
    Track(set, s.m.eval_step, labels).Set(static_cast<double>(evaluation.step()));
  }
  Track(set, s.m.evaluations, labels).Increment();
}

void MetricsExporter::OnJobState(const std::string& job_id, JobState state,
                                 int64_t transition_time_ms) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  JobSeries& job = s.Job(job_id);
  if (job.state != nullptr && job.state_value != state) {
    s.m.job_state.Remove(job.state);
    job.state = nullptr;
  }
  job.state = &s.m.job_state.Add({{kJobLabel, job_id}, {"state", StateName(state)}});
  job.state->Set(1);
  job.state_value = state;
  Track(&job.series, s.m.job_state_time, {{kJobLabel, job_id}})
      .Set(static_cast<double>(transition_time_ms) / 1000.0);
}

void MetricsExporter::OnJobRemoved(const std::string& job_id) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.jobs.find(job_id);
  if (it == s.jobs.end()) return;
  for (auto& [metric, remove] : it->second.series) remove();
  for (auto& [metric, remove] : it->second.retrieval) remove();
  if (it->second.state != nullptr) s.m.job_state.Remove(it->second.state);
  s.jobs.erase(it);
}

void MetricsExporter::OnJobFailure(const std::string& job_id, const std::string& failure_class) {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  JobSeries& job = s.Job(job_id);
  const std::string cls = IsShortName(failure_class) ? failure_class : "other";
  Track(&job.series, s.m.job_failures, {{kJobLabel, job_id}, {"class", cls}}).Increment();
}

void MetricsExporter::SetQueueDepth(int64_t jobs) {
  state_->m.queue_depth.Add({}).Set(static_cast<double>(jobs));
}

void MetricsExporter::SetWorkers(int64_t up, int64_t registered) {
  state_->m.workers_up.Add({}).Set(static_cast<double>(up));
  state_->m.workers_registered.Add({}).Set(static_cast<double>(registered));
}

void MetricsExporter::SetOldestHeartbeatAge(double seconds) {
  state_->m.heartbeat_age.Add({}).Set(seconds);
}

}  // namespace camoe::coordinator
