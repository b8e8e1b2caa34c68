#include "coordinator/core/coordinator.h"

#include <glog/logging.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "coordinator/metrics/metrics_exporter.h"
#include "coordinator/store/job_store.h"

namespace camoe::coordinator {
namespace {

// A copy of `job` for listings: no spec details or history.
Job Summary(const Job& job) {
  Job out = job;
  out.clear_history();
  JobSpec spec;
  spec.set_name(job.spec().name());
  *spec.mutable_distributed() = job.spec().distributed();
  *out.mutable_spec() = spec;
  return out;
}

}  // namespace

Coordinator::Coordinator(const CoordinatorOptions& options, JobStore* store,
                         MetricsExporter* exporter, const Clock* clock)
    : options_(options),
      store_(store),
      exporter_(exporter),
      clock_(clock),
      scheduler_(clock, options.scheduler) {}

Coordinator::~Coordinator() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Create(const CoordinatorOptions& options,
                                                                 JobStore* store,
                                                                 MetricsExporter* exporter,
                                                                 const Clock* clock) {
  std::unique_ptr<Coordinator> c(new Coordinator(options, store, exporter, clock));
  CAMOE_ASSIGN_OR_RETURN(std::vector<Job> jobs, store->LoadAllJobs());
  CAMOE_ASSIGN_OR_RETURN(std::vector<Worker> workers, store->LoadWorkers());
  CAMOE_ASSIGN_OR_RETURN(int64_t max_number, store->MaxJobNumber());
  c->next_job_number_ = max_number + 1;
  for (const Job& job : jobs) {
    c->history_sizes_[job.id()] = job.history_size();
    c->versions_[job.id()] = 0;
    const bool expired = IsTerminal(job.state()) &&
                         job.end_time_ms() < clock->NowMs() - options.metrics_retention_ms;
    if (exporter && !expired) {
      exporter->OnJobState(job.id(), job.state(), job.update_time_ms());
      c->exported_.insert(job.id());
    }
  }
  if (!jobs.empty() || !workers.empty()) {
    LOG(INFO) << "coordinator: restored " << jobs.size() << " jobs and " << workers.size()
              << " workers from the store";
  }
  std::lock_guard<std::mutex> lock(c->mu_);
  c->scheduler_.Restore(std::move(jobs), std::move(workers));
  CAMOE_RETURN_IF_ERROR(c->PersistChanges());
  return c;
}

void Coordinator::ExpireExportedJobs() {
  if (!exporter_) return;
  const int64_t horizon = clock_->NowMs() - options_.metrics_retention_ms;
  for (auto it = exported_.begin(); it != exported_.end();) {
    const Job* job = scheduler_.FindJob(*it);
    if (job == nullptr || (IsTerminal(job->state()) && job->end_time_ms() < horizon)) {
      exporter_->OnJobRemoved(*it);
      it = exported_.erase(it);
    } else {
      ++it;
    }
  }
}

absl::Status Coordinator::PersistChanges() {
  // Changes an earlier failed write left behind go out with these: the
  // scheduler reports a change only once, and its state already moved on.
  for (std::string& id : scheduler_.TakeChangedJobs()) unstored_jobs_.insert(std::move(id));
  for (std::string& id : scheduler_.TakeChangedWorkers()) unstored_workers_.insert(std::move(id));
  const std::vector<std::string> jobs(unstored_jobs_.begin(), unstored_jobs_.end());
  const std::vector<std::string> workers(unstored_workers_.begin(), unstored_workers_.end());
  if (exporter_) exporter_->SetOldestHeartbeatAge(scheduler_.OldestHeartbeatAgeMs() / 1000.0);
  if (jobs.empty() && workers.empty()) return absl::OkStatus();
  absl::Status status = store_->Transaction([&]() -> absl::Status {
    for (const std::string& id : jobs) {
      const Job* job = scheduler_.FindJob(id);
      if (job == nullptr) continue;
      auto existing = store_->GetJob(id);
      if (!existing.ok()) return existing.status();
      CAMOE_RETURN_IF_ERROR(existing->has_value() ? store_->UpdateJob(*job)
                                                  : store_->InsertJob(*job));
      // Log the transitions this change added.
      size_t& logged = history_sizes_[id];
      for (size_t i = logged; i < static_cast<size_t>(job->history_size()); ++i) {
        const JobTransition& t = job->history(static_cast<int>(i));
        CAMOE_RETURN_IF_ERROR(store_->AppendEvent(
            id, t.time_ms(), "state", absl::StrFormat("%s: %s", JobStateName(t.state()), t.reason())));
      }
    }
    for (const std::string& id : workers) {
      const Worker* w = scheduler_.FindWorker(id);
      CAMOE_RETURN_IF_ERROR(w != nullptr ? store_->UpsertWorker(*w) : store_->DeleteWorker(id));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    LOG(ERROR) << "coordinator: could not persist a change: " << status;
    return absl::InternalError(absl::StrFormat(
        "the coordinator could not store the change (%s); it was not acknowledged",
        status.message()));
  }
  unstored_jobs_.clear();
  unstored_workers_.clear();
  for (const std::string& id : jobs) {
    const Job* job = scheduler_.FindJob(id);
    if (job == nullptr) continue;
    ++versions_[id];
    size_t& logged = history_sizes_[id];
    for (size_t i = logged; i < static_cast<size_t>(job->history_size()); ++i) {
      const JobTransition& t = job->history(static_cast<int>(i));
      LOG(INFO) << "job " << id << " -> " << JobStateName(t.state()) << ": " << t.reason();
      if (exporter_) {
        exporter_->OnJobState(id, t.state(), t.time_ms());
        exported_.insert(id);
      }
      if (exporter_ && t.state() == JOB_FAILED) exporter_->OnJobFailure(id, job->failure_class());
    }
    logged = job->history_size();
  }
  if (exporter_) {
    exporter_->SetQueueDepth(scheduler_.QueueDepth());
    exporter_->SetWorkers(scheduler_.WorkersUp(), static_cast<int64_t>(scheduler_.Workers().size()));
  }
  updated_.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<SubmitJobResponse> Coordinator::SubmitJob(const SubmitJobRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  SubmitJobResponse response;
  if (!request.client_request_id().empty()) {
    for (const Job* job : scheduler_.Jobs()) {
      if (job->client_request_id() == request.client_request_id()) {
        *response.mutable_job() = *job;
        response.set_created(false);
        return response;
      }
    }
  }
  const std::string id = absl::StrFormat("job-%06d", next_job_number_);
  CAMOE_ASSIGN_OR_RETURN(JobSpec spec,
                         ValidateSubmittedSpec(request.spec(), id, options_.validation));
  ++next_job_number_;
  Job job;
  job.set_id(id);
  *job.mutable_spec() = spec;
  job.set_client_request_id(request.client_request_id());
  job.set_priority(request.has_priority() ? request.priority() : spec.priority());
  scheduler_.Submit(std::move(job));
  scheduler_.Tick();  // place it now if ranks are free
  if (absl::Status stored = PersistChanges(); !stored.ok()) {
    // Not acknowledged, so not accepted: the job must not run, and its id is
    // free again for the client's retry.
    scheduler_.Remove(id);
    unstored_jobs_.erase(id);
    --next_job_number_;
    return stored;
  }
  *response.mutable_job() = *scheduler_.FindJob(id);
  response.set_created(true);
  return response;
}

absl::StatusOr<Job> Coordinator::GetJob(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  const Job* job = scheduler_.FindJob(id);
  if (job == nullptr) return absl::NotFoundError(absl::StrFormat("no job '%s'", id));
  return *job;
}

absl::StatusOr<ListJobsResponse> Coordinator::ListJobs(const ListJobsRequest& request) {
  const int page_size = request.page_size() <= 0 ? 50 : std::min(request.page_size(), 1000);
  std::vector<JobState> states;
  for (int state : request.states()) states.push_back(static_cast<JobState>(state));
  std::string next;
  std::vector<Job> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAMOE_ASSIGN_OR_RETURN(jobs, store_->ListJobs(states, page_size, request.page_token(), &next));
  }
  ListJobsResponse response;
  for (const Job& job : jobs) *response.add_jobs() = Summary(job);
  response.set_next_page_token(next);
  return response;
}

absl::StatusOr<Job> Coordinator::CancelJob(const CancelJobRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  CAMOE_ASSIGN_OR_RETURN(const Job* job, scheduler_.Cancel(request.job_id(), request.force()));
  Job copy = *job;
  CAMOE_RETURN_IF_ERROR(PersistChanges());
  return copy;
}

absl::StatusOr<JobMetrics> Coordinator::GetJobMetrics(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  const Job* job = scheduler_.FindJob(id);
  if (job == nullptr) return absl::NotFoundError(absl::StrFormat("no job '%s'", id));
  JobMetrics metrics;
  *metrics.mutable_job() = *job;
  CAMOE_ASSIGN_OR_RETURN(std::vector<StepReport> steps, store_->Steps(id, -1));
  CAMOE_ASSIGN_OR_RETURN(std::vector<EvaluationReport> evaluations, store_->Evaluations(id));
  for (auto& s : steps) *metrics.add_steps() = std::move(s);
  for (auto& e : evaluations) *metrics.add_evaluations() = std::move(e);
  return metrics;
}

absl::StatusOr<std::vector<JobUpdate>> Coordinator::WaitForUpdates(const std::string& id,
                                                                   WatchCursor* cursor,
                                                                   absl::Duration timeout,
                                                                   bool* done) {
  std::unique_lock<std::mutex> lock(mu_);
  *done = false;
  const Job* job = scheduler_.FindJob(id);
  if (job == nullptr) return absl::NotFoundError(absl::StrFormat("no job '%s'", id));
  std::vector<JobUpdate> updates;
  auto collect = [&]() -> absl::Status {
    if (versions_[id] != cursor->job_version) {
      cursor->job_version = versions_[id];
      *updates.emplace_back().mutable_job() = *job;
    }
    if (cursor->after_step >= 0) {
      CAMOE_ASSIGN_OR_RETURN(std::vector<StepReport> steps,
                             store_->Steps(id, std::max<int64_t>(cursor->after_step, 0),
                                           options_.watch_batch_limit));
      for (StepReport& s : steps) {
        cursor->after_step = s.step();
        *updates.emplace_back().mutable_step() = std::move(s);
      }
    }
    CAMOE_ASSIGN_OR_RETURN(std::vector<EvaluationReport> evaluations, store_->Evaluations(id));
    for (size_t i = cursor->evaluations_sent; i < evaluations.size(); ++i) {
      *updates.emplace_back().mutable_evaluation() = evaluations[i];
    }
    cursor->evaluations_sent = static_cast<int64_t>(evaluations.size());
    return absl::OkStatus();
  };
  // What is already there goes out without waiting: a step backlog longer than
  // one batch does not bump the job's version, and an ended job never will.
  CAMOE_RETURN_IF_ERROR(collect());
  if (updates.empty() && !shutdown_ && !IsTerminal(job->state())) {
    auto has_news = [&] { return shutdown_ || versions_[id] != cursor->job_version; };
    updated_.wait_for(lock, absl::ToChronoNanoseconds(timeout), has_news);
    CAMOE_RETURN_IF_ERROR(collect());
  }
  // Done once the job ended and its last news went out.
  *done = (IsTerminal(job->state()) && updates.empty()) || shutdown_;
  return updates;
}

absl::StatusOr<RegisterWorkerResponse> Coordinator::RegisterWorker(
    const RegisterWorkerRequest& request) {
  const Worker& w = request.worker();
  if (w.launch_id().empty() || w.launch_rank() < 0 || w.launch_size() < 1 ||
      w.launch_rank() >= w.launch_size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "worker: launch_id must be set and 0 <= launch_rank (%d) < launch_size (%d)",
        w.launch_rank(), w.launch_size()));
  }
  Worker worker = w;
  worker.set_id(absl::StrFormat("%s/%d", w.launch_id(), w.launch_rank()));
  std::lock_guard<std::mutex> lock(mu_);
  scheduler_.Register(worker);
  scheduler_.Tick();
  CAMOE_RETURN_IF_ERROR(PersistChanges());
  RegisterWorkerResponse response;
  response.set_worker_id(worker.id());
  response.set_heartbeat_interval_ms(static_cast<int32_t>(options_.scheduler.heartbeat_interval_ms));
  return response;
}

absl::StatusOr<HeartbeatResponse> Coordinator::Heartbeat(const HeartbeatRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  HeartbeatResponse response = scheduler_.Heartbeat(request);
  // Heartbeats only refresh liveness, which need not reach the disk each time.
  CAMOE_RETURN_IF_ERROR(PersistChanges());
  return response;
}

absl::Status Coordinator::ReportMetrics(const ReportMetricsRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const Job* job = scheduler_.FindJob(request.job_id());
  if (job == nullptr) return absl::NotFoundError(absl::StrFormat("no job '%s'", request.job_id()));
  if (request.attempt() != job->attempt()) {
    // A late batch of an abandoned attempt must not overwrite the current
    // attempt's steps; acknowledge it so the sender stops retrying.
    LOG(WARNING) << "job " << job->id() << ": dropping metrics of attempt " << request.attempt()
                 << " (current attempt " << job->attempt() << ") from " << request.worker_id();
    return absl::OkStatus();
  }
  std::vector<StepReport> steps(request.steps().begin(), request.steps().end());
  CAMOE_RETURN_IF_ERROR(store_->Transaction([&]() -> absl::Status {
    if (!steps.empty()) CAMOE_RETURN_IF_ERROR(store_->AppendSteps(request.job_id(), steps));
    for (const EvaluationReport& e : request.evaluations()) {
      CAMOE_RETURN_IF_ERROR(store_->AppendEvaluation(request.job_id(), e));
    }
    return absl::OkStatus();
  }));
  if (exporter_) {
    for (const StepReport& s : steps) exporter_->OnStep(request.job_id(), s);
    for (const EvaluationReport& e : request.evaluations()) exporter_->OnEvaluation(request.job_id(), e);
  }
  CAMOE_RETURN_IF_ERROR(scheduler_.OnMetrics(request));
  return PersistChanges();
}

absl::Status Coordinator::ReportEvent(const ReportEventRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  const Job* job = scheduler_.FindJob(request.job_id());
  if (request.has_evaluation() && job != nullptr && job->attempt() == request.attempt() &&
      !IsTerminal(job->state())) {
    CAMOE_RETURN_IF_ERROR(store_->AppendEvaluation(request.job_id(), request.evaluation()));
    if (exporter_) exporter_->OnEvaluation(request.job_id(), request.evaluation());
  }
  CAMOE_RETURN_IF_ERROR(scheduler_.OnEvent(request));
  scheduler_.Tick();  // freed ranks may take queued jobs at once
  return PersistChanges();
}

absl::Status Coordinator::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  scheduler_.Tick();
  return PersistChanges();
}

void Coordinator::StartBackgroundTicks() {
  ticker_ = std::thread([this] {
    const auto period =
        std::chrono::milliseconds(std::max<int64_t>(50, options_.scheduler.heartbeat_interval_ms / 2));
    std::unique_lock<std::mutex> lock(mu_);
    while (!shutdown_) {
      updated_.wait_for(lock, period, [this] { return shutdown_; });
      if (shutdown_) break;
      scheduler_.Tick();
      absl::Status status = PersistChanges();
      if (!status.ok()) LOG(ERROR) << "coordinator tick: " << status;
      ExpireExportedJobs();
    }
  });
}

void Coordinator::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  updated_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

std::vector<Worker> Coordinator::Workers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Worker> out;
  for (const Worker* w : scheduler_.Workers()) out.push_back(*w);
  return out;
}

}  // namespace camoe::coordinator
