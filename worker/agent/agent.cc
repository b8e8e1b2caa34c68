#include "worker/agent/agent.h"

#include <glog/logging.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_format.h"
#include "common/failure.h"
#include "common/grpc_status.h"
#include "worker/agent/reports.h"
#include "worker/train/rank_setup.h"

namespace camoe::agent {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

bool IsTransient(const absl::Status& status) {
  return IsTransientGrpcCode(static_cast<grpc::StatusCode>(status.code()));
}

}  // namespace

// Collects what the trainer reports on this rank. On the chief it buffers
// step and evaluation reports and checkpoint events, and a reporter thread
// sends them every report_interval; Finish() sends the rest. Every rank
// publishes its step (for heartbeats) and answers the trainer's stop polls.
class WorkerAgent::JobObserver : public TrainObserver {
 public:
  JobObserver(WorkerAgent* agent, const Assignment& assignment)
      : agent_(agent), assignment_(assignment), chief_(assignment.gang_rank() == 0) {
    if (chief_) reporter_ = std::thread([this] { ReportLoop(); });
  }
  ~JobObserver() override { StopReporter(); }

  void OnStep(const StepMetrics& metrics) override {
    agent_->current_step_ = metrics.step;
    if (!chief_) return;
    std::lock_guard<std::mutex> lock(mu_);
    steps_.push_back(ToStepReport(metrics, NowMs()));
    const size_t limit = static_cast<size_t>(std::max(1, agent_->options_.max_buffered_steps));
    while (steps_.size() > limit) {
      steps_.pop_front();
      ++dropped_steps_;
    }
  }

  void OnEvaluation(int64_t step, const EvaluationResult& result, bool final) override {
    if (!chief_) return;
    std::lock_guard<std::mutex> lock(mu_);
    EvaluationReport report = ToEvaluationReport(step, result, final, NowMs());
    if (final) final_evaluation_ = report;
    evaluations_.push_back(std::move(report));
  }

  void OnCheckpoint(int64_t step, const std::string& path) override {
    if (!chief_) return;
    std::lock_guard<std::mutex> lock(mu_);
    last_checkpoint_ = path;
    ReportEventRequest event = agent_->Event(assignment_, EVENT_CHECKPOINTED);
    event.set_step(step);
    event.set_checkpoint(path);
    events_.push_back(std::move(event));
  }

  StopRequest StopRequested() override { return agent_->stop_request(); }

  // Sends everything still buffered (retrying); call after the trainer ended.
  absl::Status Finish() {
    StopReporter();
    if (!chief_) return absl::OkStatus();
    absl::Status status = agent_->Deliver("metrics", [this] { return SendSome(); });
    std::lock_guard<std::mutex> lock(mu_);
    if (dropped_steps_ > 0) {
      LOG(WARNING) << assignment_.job_id() << ": " << dropped_steps_
                   << " step reports were dropped while the coordinator was unreachable";
    }
    return status;
  }

  std::string last_checkpoint() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_checkpoint_;
  }
  std::optional<EvaluationReport> final_evaluation() {
    std::lock_guard<std::mutex> lock(mu_);
    return final_evaluation_;
  }

 private:
  // Sends one batch; OK once nothing is left. On failure the batch goes back
  // to the front of the buffers, so order is kept and nothing is lost.
  absl::Status SendSome() {
    ReportMetricsRequest request;
    std::deque<ReportEventRequest> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      request.set_worker_id(agent_->worker_id_);
      request.set_job_id(assignment_.job_id());
      request.set_attempt(assignment_.attempt());
      for (int i = 0; i < kBatch && !steps_.empty(); ++i) {
        *request.add_steps() = std::move(steps_.front());
        steps_.pop_front();
      }
      for (auto& e : evaluations_) *request.add_evaluations() = std::move(e);
      evaluations_.clear();
      events.swap(events_);
    }
    absl::Status status;
    if (request.steps_size() > 0 || request.evaluations_size() > 0) {
      status = agent_->client_.ReportMetrics(request);
    }
    while (status.ok() && !events.empty()) {
      status = agent_->client_.ReportEvent(events.front());
      if (status.ok()) events.pop_front();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!status.ok()) {
      if (request.steps_size() > 0 || request.evaluations_size() > 0) {
        // Not delivered: put back in front (the store ignores duplicates).
        for (int i = request.steps_size() - 1; i >= 0; --i) steps_.push_front(request.steps(i));
        for (int i = request.evaluations_size() - 1; i >= 0; --i) {
          evaluations_.insert(evaluations_.begin(), request.evaluations(i));
        }
      }
      for (auto it = events.rbegin(); it != events.rend(); ++it) events_.push_front(*it);
      return status;
    }
    if (!steps_.empty() || !evaluations_.empty() || !events_.empty()) {
      return absl::UnavailableError("more to send");  // transient: Deliver sends the next batch
    }
    return absl::OkStatus();
  }

  void ReportLoop() {
    std::unique_lock<std::mutex> lock(reporter_mu_);
    while (!stop_reporter_) {
      reporter_cv_.wait_for(lock, absl::ToChronoNanoseconds(agent_->options_.report_interval));
      if (stop_reporter_) break;
      lock.unlock();
      absl::Status status = SendSome();
      while (status.ok() == false && status.message() == "more to send") status = SendSome();
      if (!status.ok() && !failing_) {
        LOG(WARNING) << assignment_.job_id() << ": metrics not delivered yet (" << status
                     << "); buffering and retrying";
      }
      failing_ = !status.ok();
      lock.lock();
    }
  }

  void StopReporter() {
    {
      std::lock_guard<std::mutex> lock(reporter_mu_);
      stop_reporter_ = true;
    }
    reporter_cv_.notify_all();
    if (reporter_.joinable()) reporter_.join();
  }

  static constexpr int kBatch = 500;
  WorkerAgent* const agent_;
  const Assignment assignment_;
  const bool chief_;
  std::mutex mu_;
  std::deque<StepReport> steps_;             // GUARDED_BY(mu_)
  std::vector<EvaluationReport> evaluations_;  // GUARDED_BY(mu_)
  std::deque<ReportEventRequest> events_;    // GUARDED_BY(mu_)
  int64_t dropped_steps_ = 0;                // GUARDED_BY(mu_)
  std::string last_checkpoint_;              // GUARDED_BY(mu_)
  std::optional<EvaluationReport> final_evaluation_;  // GUARDED_BY(mu_)
  std::mutex reporter_mu_;
  std::condition_variable reporter_cv_;
  bool stop_reporter_ = false;  // GUARDED_BY(reporter_mu_)
  bool failing_ = false;        // reporter thread only
  std::thread reporter_;
};

WorkerAgent::WorkerAgent(AgentOptions options, LaunchInfo launch, GangFactory gangs)
    : options_(std::move(options)),
      launch_(std::move(launch)),
      gangs_(std::move(gangs)),
      worker_id_(absl::StrFormat("%s/%d", launch_.launch_id, launch_.rank)),
      client_(options_.client) {}

WorkerAgent::~WorkerAgent() {
  Shutdown();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

std::string WorkerAgent::worker_id() const { return worker_id_; }

std::vector<JobRecord> WorkerAgent::history() const {
  std::lock_guard<std::mutex> lock(mu_);
  return history_;
}

void WorkerAgent::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    shutdown_time_ = absl::Now();
    if (!current_job_.empty() && stop_ == StopRequest::kNone) stop_ = StopRequest::kCheckpoint;
  }
  cv_.notify_all();
}

StopRequest WorkerAgent::stop_request() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

absl::Status WorkerAgent::RegisterOnce() {
  RegisterWorkerRequest request;
  Worker* w = request.mutable_worker();
  w->set_id(worker_id_);
  w->set_host(launch_.host);
  w->set_launch_id(launch_.launch_id);
  w->set_launch_rank(launch_.rank);
  w->set_launch_size(launch_.size);
  w->set_device(launch_.device);
  w->set_capacity(1);
  w->set_pid(launch_.pid);
  auto response = client_.Register(request);
  if (!response.ok()) return response.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (response->heartbeat_interval_ms() > 0) {
    heartbeat_interval_ = absl::Milliseconds(response->heartbeat_interval_ms());
  }
  return absl::OkStatus();
}

absl::Status WorkerAgent::RegisterWithRetry() {
  absl::Duration backoff = absl::Milliseconds(200);
  bool warned = false;
  while (true) {
    absl::Status status = RegisterOnce();
    if (status.ok()) {
      LOG(INFO) << "worker " << worker_id_ << " registered with " << options_.client.address;
      return status;
    }
    if (!IsTransient(status)) return status;
    if (!warned) {
      LOG(WARNING) << "worker " << worker_id_ << ": " << status << "; retrying";
      warned = true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff), [this] { return shutdown_; })) {
      return absl::OkStatus();
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void WorkerAgent::HeartbeatLoop() {
  absl::Time last_warning = absl::InfinitePast();
  bool failing = false;
  while (true) {
    HeartbeatRequest request;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, absl::ToChronoNanoseconds(heartbeat_interval_),
                       [this] { return shutdown_; })) {
        return;
      }
      request.set_worker_id(worker_id_);
      request.set_job_id(current_job_);
      request.set_step(current_step_);
    }
    auto response = client_.Heartbeat(request);
    if (!response.ok()) {
      // Keep training through a coordinator outage; say so now and then.
      if (!failing || absl::Now() - last_warning > absl::Seconds(30)) {
        LOG(WARNING) << "worker " << worker_id_ << ": heartbeat failed: " << response.status();
        last_warning = absl::Now();
      }
      failing = true;
      continue;
    }
    if (failing) LOG(INFO) << "worker " << worker_id_ << ": the coordinator answers again";
    failing = false;
    if (response->unknown_worker()) {
      LOG(INFO) << "worker " << worker_id_ << ": the coordinator does not know this worker; "
                << "registering again";
      absl::Status status = RegisterOnce();
      if (!status.ok()) LOG(WARNING) << "registering again failed: " << status;
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!response->cancel_job_id().empty() && response->cancel_job_id() == current_job_) {
      const StopRequest wanted =
          response->force() ? StopRequest::kNow : StopRequest::kCheckpoint;
      if (static_cast<int>(wanted) > static_cast<int>(stop_)) {
        LOG(INFO) << "worker " << worker_id_ << ": cancel " << current_job_
                  << (response->force() ? " (force)" : " (after a checkpoint)");
        stop_ = wanted;
      }
      cancel_seen_ = true;
    }
    if (response->has_assignment() && current_job_.empty() && !pending_ && !shutdown_) {
      const Assignment& a = response->assignment();
      if (!finished_.count({a.job_id(), a.attempt()})) {
        pending_ = a;
        cv_.notify_all();
      }
    }
  }
}

ReportEventRequest WorkerAgent::Event(const Assignment& assignment, WorkerEventType type) const {
  ReportEventRequest event;
  event.set_worker_id(worker_id_);
  event.set_job_id(assignment.job_id());
  event.set_attempt(assignment.attempt());
  event.set_type(type);
  return event;
}

absl::Status WorkerAgent::Deliver(const std::string& what,
                                  const std::function<absl::Status()>& send) {
  absl::Duration backoff = absl::Milliseconds(100);
  bool warned = false;
  while (true) {
    absl::Status status = send();
    if (status.ok()) return status;
    const bool more = status.message() == "more to send";
    if (!more && !IsTransient(status)) {
      LOG(ERROR) << "worker " << worker_id_ << ": " << what << " refused: " << status;
      return status;
    }
    if (more) {
      backoff = absl::Milliseconds(100);
      continue;
    }
    if (!warned) {
      LOG(WARNING) << "worker " << worker_id_ << ": " << what << " not delivered (" << status
                   << "); retrying";
      warned = true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (shutdown_ && absl::Now() - shutdown_time_ > options_.shutdown_delivery_timeout) {
      LOG(ERROR) << "worker " << worker_id_ << ": giving up on " << what << " after shutdown";
      return status;
    }
    cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

WorkerAgent::Outcome WorkerAgent::RunJob(const Assignment& a) {
  Outcome out;
  auto fail = [&](const absl::Status& status) {
    out.type = EVENT_FAILED;
    out.reason = std::string(status.message());
    out.failure_class = FailureClassOf(status);
    out.retryable = IsRetryableFailure(out.failure_class);
    return out;
  };
  const JobSpec& spec = a.spec();
  LOG(INFO) << "worker " << worker_id_ << ": starting " << a.job_id() << " attempt "
            << a.attempt() << " as gang rank " << a.gang_rank() << " of " << a.gang_size();
  absl::Status started = Deliver("STARTED", [&] {
    return client_.ReportEvent(Event(a, EVENT_STARTED));
  });
  if (!started.ok()) return fail(started);

  CommunicatorOptions comm_options;
  comm_options.timeout = absl::Seconds(std::max(1, spec.distributed().collective_timeout_seconds()));
  auto gang = gangs_(a, comm_options);
  if (!gang.ok()) return fail(gang.status());
  const int device = LocalCudaDevice(launch_.rank);
  auto rank_comm = MakeRankCommunicator(spec, gang->get(), device);
  if (!rank_comm.ok()) return fail(rank_comm.status());

  std::ofstream log_file;
  std::ostream* log = &std::cerr;
  if (!options_.log_dir.empty() && a.gang_rank() == 0) {
    std::error_code ec;
    std::filesystem::create_directories(options_.log_dir, ec);
    const std::string path = options_.log_dir + "/" + a.job_id() + ".log";
    log_file.open(path, std::ios::app);
    if (log_file) {
      log_file << "=== " << a.job_id() << " attempt " << a.attempt() << " on " << worker_id_
               << " (" << launch_.host << "), " << a.gang_size() << " ranks\n";
      log = &log_file;
    } else {
      LOG(WARNING) << "cannot write " << path << "; the training log goes to standard error";
    }
  }

  JobObserver observer(this, a);
  TrainerOptions trainer_options;
  trainer_options.log = log;
  trainer_options.default_vocab_path = options_.vocab_path;
  trainer_options.observer = &observer;
  trainer_options.cuda_device = device;
  absl::StatusOr<TrainSummary> summary = [&]() -> absl::StatusOr<TrainSummary> {
    auto trainer = Trainer::Create(spec, rank_comm->comm, trainer_options);
    if (!trainer.ok()) return trainer.status();
    return (*trainer)->Run();
  }();
  rank_comm->owned.reset();
  gang->reset();
  // The chief's metrics go out before the final event, so a job that
  // SUCCEEDED has all its steps stored.
  observer.Finish().IgnoreError();
  out.step = current_step_;
  out.checkpoint = observer.last_checkpoint();
  if (!summary.ok()) return fail(summary.status());
  out.step = summary->state.step();
  bool cancel_seen = false, shutdown = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_seen = cancel_seen_;
    shutdown = shutdown_;
  }
  switch (summary->stopped) {
    case StopRequest::kNone:
      out.type = EVENT_FINISHED;
      out.evaluation = observer.final_evaluation();
      return out;
    case StopRequest::kCheckpoint:
    case StopRequest::kNow:
      break;
  }
  if (summary->stopped == StopRequest::kNow) out.checkpoint.clear();
  if (cancel_seen) {
    out.type = EVENT_CANCELLED;
    out.reason = "cancelled";
  } else if (shutdown) {
    out.type = EVENT_FAILED;
    out.reason = absl::StrFormat("worker %s on %s was shut down; stopped at step %d after a checkpoint",
                                 worker_id_, launch_.host, out.step);
    out.failure_class = kFailureWorkerLost;
    out.retryable = true;
  } else {
    // Another rank of the gang asked to stop (its cancel or its shutdown).
    out.type = EVENT_CANCELLED;
    out.reason = "stopped with the gang (another rank asked to stop)";
  }
  return out;
}

absl::Status WorkerAgent::Run() {
  if (absl::Status status = RegisterWithRetry(); !status.ok()) return status;
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  while (true) {
    Assignment assignment;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return shutdown_ || pending_.has_value(); });
      if (shutdown_) break;
      assignment = std::move(*pending_);
      pending_.reset();
      current_job_ = assignment.job_id();
      current_attempt_ = assignment.attempt();
      stop_ = StopRequest::kNone;
      cancel_seen_ = false;
      current_step_ = 0;
    }
    Outcome outcome = RunJob(assignment);
    ReportEventRequest event = Event(assignment, outcome.type);
    event.set_reason(outcome.reason);
    event.set_step(outcome.step);
    event.set_checkpoint(outcome.checkpoint);
    if (outcome.type == EVENT_FAILED) {
      event.set_retryable(outcome.retryable);
      event.set_failure_class(outcome.failure_class);
      LOG(ERROR) << "worker " << worker_id_ << ": " << assignment.job_id() << " failed ("
                 << outcome.failure_class << "): " << outcome.reason;
    } else {
      LOG(INFO) << "worker " << worker_id_ << ": " << assignment.job_id() << " "
                << WorkerEventType_Name(outcome.type) << " at step " << outcome.step;
    }
    if (outcome.evaluation) *event.mutable_evaluation() = *outcome.evaluation;
    Deliver(WorkerEventType_Name(outcome.type), [&] { return client_.ReportEvent(event); })
        .IgnoreError();
    std::lock_guard<std::mutex> lock(mu_);
    finished_.insert({assignment.job_id(), assignment.attempt()});
    history_.push_back({assignment.job_id(), assignment.attempt(), outcome.type, outcome.reason,
                        outcome.step});
    current_job_.clear();
    current_attempt_ = 0;
    stop_ = StopRequest::kNone;
  }
  cv_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  return absl::OkStatus();
}

}  // namespace camoe::agent
