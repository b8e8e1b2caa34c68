#include "coordinator/core/scheduler.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "coordinator/core/placement.h"

namespace camoe::coordinator {

bool IsTerminal(JobState state) {
  return state == JOB_SUCCEEDED || state == JOB_FAILED || state == JOB_CANCELLED;
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JOB_QUEUED: return "QUEUED";
    case JOB_SCHEDULED: return "SCHEDULED";
    case JOB_RUNNING: return "RUNNING";
    case JOB_SUCCEEDED: return "SUCCEEDED";
    case JOB_FAILED: return "FAILED";
    case JOB_CANCELLED: return "CANCELLED";
    case JOB_RESTARTING: return "RESTARTING";
    default: return "UNSPECIFIED";
  }
}

Scheduler::Scheduler(const Clock* clock, SchedulerOptions options)
    : clock_(clock), options_(options) {}

void Scheduler::Restore(std::vector<Job> jobs, std::vector<Worker> workers) {
  const int64_t now = clock_->NowMs();
  for (Job& job : jobs) {
    next_group_tag_ = std::max(next_group_tag_, job.group_tag() + 1);
    jobs_[job.id()] = std::move(job);
  }
  for (Worker& worker : workers) {
    // A restart is not the workers' fault: give every one a full timeout to reconnect.
    worker.set_last_heartbeat_ms(now);
    workers_[worker.id()] = std::move(worker);
  }
}

void Scheduler::Transition(Job* job, JobState state, const std::string& reason) {
  const int64_t now = clock_->NowMs();
  job->set_state(state);
  job->set_reason(reason);
  job->set_update_time_ms(now);
  if (state == JOB_RUNNING && !job->has_start_time_ms()) job->set_start_time_ms(now);
  if (IsTerminal(state)) job->set_end_time_ms(now);
  JobTransition* t = job->add_history();
  t->set_state(state);
  t->set_time_ms(now);
  t->set_reason(reason);
  Touch(*job);
}

std::string Scheduler::WorkerIdOf(const Job& job, int gang_rank) const {
  return absl::StrFormat("%s/%d", job.launch_id(), job.gang(gang_rank));
}

int Scheduler::GangRankOf(const Job& job, const Worker& worker) const {
  if (worker.launch_id() != job.launch_id()) return -1;
  for (int r = 0; r < job.gang_size(); ++r) {
    if (job.gang(r) == worker.launch_rank()) return r;
  }
  return -1;
}

void Scheduler::FreeWorker(Worker* worker) {
  if (worker->job_id().empty()) return;
  worker->clear_job_id();
  TouchWorker(*worker);
}

const Job& Scheduler::Submit(Job job) {
  const std::string id = job.id();
  job.set_submit_time_ms(clock_->NowMs());
  job.set_attempt(0);
  Job& stored = jobs_[id] = std::move(job);
  Transition(&stored, JOB_QUEUED, "submitted");
  return stored;
}

absl::StatusOr<const Job*> Scheduler::Cancel(const std::string& id, bool force) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return absl::NotFoundError(absl::StrFormat("no job '%s'", id));
  Job& job = it->second;
  if (IsTerminal(job.state())) {
    return absl::FailedPreconditionError(
        absl::StrFormat("job %s already ended (%s)", id, JobStateName(job.state())));
  }
  job.set_cancel_requested(true);
  job.set_force_cancel(job.force_cancel() || force);
  Touch(job);
  const bool nothing_started = job.started_ranks_size() == 0;
  if (job.state() == JOB_QUEUED || (job.state() != JOB_RUNNING && nothing_started)) {
    Transition(&job, JOB_CANCELLED, force ? "cancelled (force)" : "cancelled before it started");
  }
  return &job;
}

const Worker& Scheduler::Register(Worker worker) {
  const int64_t now = clock_->NowMs();
  worker.set_alive(true);
  worker.set_last_heartbeat_ms(now);
  auto it = workers_.find(worker.id());
  if (it != workers_.end()) {
    // Re-registration (the worker or the coordinator restarted): the
    // coordinator's record of its job wins; the next heartbeat reconciles.
    worker.set_job_id(it->second.job_id());
    worker.set_registered_ms(it->second.registered_ms());
  } else {
    worker.set_registered_ms(now);
  }
  Worker& stored = workers_[worker.id()] = std::move(worker);
  TouchWorker(stored);
  return stored;
}

HeartbeatResponse Scheduler::Heartbeat(const HeartbeatRequest& request) {
  HeartbeatResponse response;
  auto wit = workers_.find(request.worker_id());
  if (wit == workers_.end()) {
    response.set_unknown_worker(true);
    return response;
  }
  Worker& worker = wit->second;
  worker.set_last_heartbeat_ms(clock_->NowMs());
  if (!worker.alive()) {
    worker.set_alive(true);
    TouchWorker(worker);
  }
  const std::string running = request.job_id();  // what the worker is doing
  if (!running.empty() && running != worker.job_id()) {
    // The coordinator did not give it this job (or took it back, e.g. while
    // the worker seemed dead): it must stop, or a gang placed here since
    // waits for this rank forever.
    response.set_cancel_job_id(running);
    response.set_force(true);
  }
  if (worker.job_id().empty()) return response;
  auto jit = jobs_.find(worker.job_id());
  if (jit == jobs_.end()) {
    FreeWorker(&worker);
    return response;
  }
  Job& job = jit->second;
  if (IsTerminal(job.state())) {
    if (running == job.id()) {
      // Still running a job that ended (a peer failed, or it was cancelled).
      response.set_cancel_job_id(job.id());
      response.set_force(job.state() != JOB_CANCELLED || job.force_cancel());
    } else {
      FreeWorker(&worker);
    }
    return response;
  }
  if (job.cancel_requested() && running == job.id()) {
    response.set_cancel_job_id(job.id());
    response.set_force(job.force_cancel());
    return response;
  }
  if (running != job.id() && (job.state() == JOB_SCHEDULED || job.state() == JOB_RUNNING)) {
    const int gang_rank = GangRankOf(job, worker);
    if (gang_rank >= 0) {
      Assignment* a = response.mutable_assignment();
      a->set_job_id(job.id());
      *a->mutable_spec() = job.spec();
      a->mutable_spec()->mutable_distributed()->set_world_size(job.gang_size());
      for (int r : job.gang()) a->add_gang(r);
      a->set_gang_rank(gang_rank);
      a->set_group_tag(job.group_tag());
      a->set_attempt(job.attempt());
    }
  }
  return response;
}

absl::Status Scheduler::OnEvent(const ReportEventRequest& event) {
  auto wit = workers_.find(event.worker_id());
  if (wit == workers_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("unknown worker '%s'; register first", event.worker_id()));
  }
  Worker& worker = wit->second;
  auto jit = jobs_.find(event.job_id());
  if (jit == jobs_.end()) return absl::NotFoundError(absl::StrFormat("no job '%s'", event.job_id()));
  Job& job = jit->second;
  const int gang_rank = GangRankOf(job, worker);
  const bool current = event.attempt() == job.attempt() && gang_rank >= 0;
  const std::string who = absl::StrFormat("rank %d (%s, pool rank %d)", gang_rank, worker.host(),
                                          worker.launch_rank());
  const bool ends_here = event.type() == EVENT_FINISHED || event.type() == EVENT_FAILED ||
                         event.type() == EVENT_CANCELLED;
  // Only the current attempt's end frees the rank: a late report of an older
  // attempt must not free a rank the current one runs on.
  if (ends_here && worker.job_id() == job.id() && event.attempt() == job.attempt()) {
    FreeWorker(&worker);
  }
  if (current && IsTerminal(job.state()) && !event.checkpoint().empty() &&
      event.type() != EVENT_FAILED) {
    // The chief's checkpoint can land after a peer already ended the job; it
    // is still the one a rerun resumes from.
    job.set_last_checkpoint(event.checkpoint());
    Touch(job);
  }
  if (!current || IsTerminal(job.state())) return absl::OkStatus();  // stale attempt
  switch (event.type()) {
    case EVENT_STARTED:
      if (std::find(job.started_ranks().begin(), job.started_ranks().end(), gang_rank) ==
          job.started_ranks().end()) {
        job.add_started_ranks(gang_rank);
        Touch(job);
      }
      if (job.state() == JOB_SCHEDULED && job.started_ranks_size() == job.gang_size()) {
        Transition(&job, JOB_RUNNING, absl::StrFormat("all %d ranks started", job.gang_size()));
      }
      break;
    case EVENT_CHECKPOINTED:
      job.set_last_checkpoint(event.checkpoint());
      if (event.step() > job.step()) job.set_step(event.step());
      Touch(job);
      break;
    case EVENT_FINISHED:
      if (gang_rank == 0) {
        if (event.has_evaluation()) *job.mutable_last_evaluation() = event.evaluation();
        if (event.step() > 0) job.set_step(event.step());
        Transition(&job, JOB_SUCCEEDED, "finished");
      }
      break;
    case EVENT_CANCELLED:
      if (!event.checkpoint().empty()) job.set_last_checkpoint(event.checkpoint());
      if (job.cancel_requested()) {
        // The chief knows the checkpoint; the other ranks' reports only free them.
        if (gang_rank == 0) {
          Transition(&job, JOB_CANCELLED,
                     job.force_cancel() ? absl::StrFormat("cancelled (force) at step %d", event.step())
                     : !event.checkpoint().empty()
                         ? absl::StrFormat("cancelled after a checkpoint at step %d", event.step())
                         : absl::StrFormat("cancelled at step %d (no checkpoint.dir: nothing saved)",
                                           event.step()));
        }
      } else {
        // The gang stopped although nobody cancelled it: one of its ranks was
        // shut down (that rank's FAILED event usually arrives first).
        job.set_failure_class("worker_lost");
        Transition(&job, JOB_FAILED,
                   absl::StrFormat("%s stopped at step %d without a cancel request: %s", who,
                                   event.step(), event.reason()));
      }
      break;
    case EVENT_FAILED:
      job.set_failure_class(event.failure_class().empty() ? "other" : event.failure_class());
      Transition(&job, JOB_FAILED, absl::StrFormat("%s failed: %s", who, event.reason()));
      break;
    default:
      return absl::InvalidArgumentError("event type missing");
  }
  return absl::OkStatus();
}

absl::Status Scheduler::OnMetrics(const ReportMetricsRequest& metrics) {
  auto jit = jobs_.find(metrics.job_id());
  if (jit == jobs_.end()) {
    return absl::NotFoundError(absl::StrFormat("no job '%s'", metrics.job_id()));
  }
  Job& job = jit->second;
  for (const StepReport& s : metrics.steps()) {
    if (s.step() >= job.step()) {
      job.set_step(s.step());
      job.set_total_steps(s.total_steps());
      job.set_last_loss(s.loss());
    }
  }
  for (const EvaluationReport& e : metrics.evaluations()) *job.mutable_last_evaluation() = e;
  job.set_update_time_ms(clock_->NowMs());
  Touch(job);
  return absl::OkStatus();
}

void Scheduler::Tick() {
  const int64_t now = clock_->NowMs();
  for (auto it = workers_.begin(); it != workers_.end();) {
    const Worker& w = it->second;
    if (!w.alive() && w.job_id().empty() &&
        now - w.last_heartbeat_ms() > options_.forget_dead_after_ms) {
      changed_workers_.insert(w.id());
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [id, worker] : workers_) {
    if (!worker.alive() || now - worker.last_heartbeat_ms() <= options_.heartbeat_timeout_ms) {
      continue;
    }
    worker.set_alive(false);
    TouchWorker(worker);
    auto jit = worker.job_id().empty() ? jobs_.end() : jobs_.find(worker.job_id());
    if (jit != jobs_.end() && !IsTerminal(jit->second.state())) {
      Job& job = jit->second;
      if (job.cancel_requested()) {
        Transition(&job, JOB_CANCELLED,
                   absl::StrFormat("cancelled; rank %d (%s) stopped heart-beating before it confirmed",
                                   GangRankOf(job, worker), worker.host()));
        FreeWorker(&worker);
        continue;
      }
      job.set_failure_class("worker_lost");
      Transition(&job, JOB_FAILED,
                 absl::StrFormat("rank %d (%s, pool rank %d) sent no heartbeat for %.0f s; last "
                                 "completed step %d",
                                 GangRankOf(job, worker), worker.host(), worker.launch_rank(),
                                 (now - worker.last_heartbeat_ms()) / 1000.0, job.step()));
    }
    FreeWorker(&worker);
  }
  Place();
}

void Scheduler::Place() {
  std::vector<Job*> queued;
  for (auto& [id, job] : jobs_) {
    if (job.state() == JOB_QUEUED) queued.push_back(&job);
  }
  std::sort(queued.begin(), queued.end(), [](const Job* a, const Job* b) {
    if (a->priority() != b->priority()) return a->priority() > b->priority();
    if (a->submit_time_ms() != b->submit_time_ms()) return a->submit_time_ms() < b->submit_time_ms();
    return a->id() < b->id();
  });
  for (Job* job : queued) {
    std::vector<FreeRank> free;
    for (const auto& [id, w] : workers_) {
      if (w.alive() && w.job_id().empty()) {
        free.push_back({w.launch_id(), w.launch_rank(), w.host(), w.id()});
      }
    }
    const int size = std::max(1, job->spec().distributed().world_size());
    auto gang = PlaceGang(free, size);
    if (!gang) continue;  // smaller jobs behind it may still fit
    job->clear_gang();
    job->clear_started_ranks();
    job->set_launch_id(gang->front().launch_id);
    for (const FreeRank& r : *gang) {
      job->add_gang(r.launch_rank);
      Worker& w = workers_[r.worker_id];
      w.set_job_id(job->id());
      TouchWorker(w);
    }
    job->set_attempt(job->attempt() + 1);
    job->set_group_tag(next_group_tag_++ % 30000 + 1);
    Transition(job, JOB_SCHEDULED,
               absl::StrFormat("%d ranks on launch %s: pool ranks %d..%d (attempt %d)", size,
                               job->launch_id(), gang->front().launch_rank,
                               gang->back().launch_rank, job->attempt()));
  }
}

void Scheduler::Remove(const std::string& id) {
  for (auto& [wid, w] : workers_) {
    if (w.job_id() == id) FreeWorker(&w);
  }
  jobs_.erase(id);
  changed_jobs_.erase(id);
}

const Job* Scheduler::FindJob(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

const Worker* Scheduler::FindWorker(const std::string& id) const {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

std::vector<const Job*> Scheduler::Jobs() const {
  std::vector<const Job*> out;
  for (const auto& [id, job] : jobs_) out.push_back(&job);
  return out;
}

std::vector<const Worker*> Scheduler::Workers() const {
  std::vector<const Worker*> out;
  for (const auto& [id, w] : workers_) out.push_back(&w);
  return out;
}

int64_t Scheduler::QueueDepth() const {
  int64_t n = 0;
  for (const auto& [id, job] : jobs_) n += job.state() == JOB_QUEUED;
  return n;
}

int64_t Scheduler::WorkersUp() const {
  int64_t n = 0;
  for (const auto& [id, w] : workers_) n += w.alive();
  return n;
}

int64_t Scheduler::OldestHeartbeatAgeMs() const {
  const int64_t now = clock_->NowMs();
  int64_t oldest = 0;
  for (const auto& [id, w] : workers_) {
    if (w.alive()) oldest = std::max(oldest, now - w.last_heartbeat_ms());
  }
  return oldest;
}

std::vector<std::string> Scheduler::TakeChangedJobs() {
  std::vector<std::string> out(changed_jobs_.begin(), changed_jobs_.end());
  changed_jobs_.clear();
  return out;
}

std::vector<std::string> Scheduler::TakeChangedWorkers() {
  std::vector<std::string> out(changed_workers_.begin(), changed_workers_.end());
  changed_workers_.clear();
  return out;
}

}  // namespace camoe::coordinator
