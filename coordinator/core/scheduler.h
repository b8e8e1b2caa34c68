// Scheduler: the coordinator's domain state as a plain class - the job state
// machine, the worker pool, gang scheduling and liveness - with an injected
// clock, so every decision is tested without gRPC, threads or sleeping.
//
// Job states: QUEUED -> SCHEDULED (a gang of free ranks is assigned) ->
// RUNNING (every rank reported STARTED) -> SUCCEEDED (the chief finished) /
// FAILED (a rank failed or stopped heart-beating) / CANCELLED. Queued jobs are
// considered by priority (higher first), then submission time; a job is placed
// only onto as many free ranks as its world size, never partially, and
// smaller jobs may run ahead of a big one that does not fit yet. Workers learn
// about assignments and cancellations from heartbeat replies.
//
// Every mutation records which jobs and workers changed (TakeChanged*) so
// the owner persists them before acknowledging. Not thread-safe: the
// Coordinator serialises calls.
#ifndef CAMOE_COORDINATOR_CORE_SCHEDULER_H_
#define CAMOE_COORDINATOR_CORE_SCHEDULER_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/service.pb.h"
#include "coordinator/core/clock.h"

namespace camoe::coordinator {

struct SchedulerOptions {
  // What workers are told to use, and how long silence means death.
  int64_t heartbeat_interval_ms = 2000;
  int64_t heartbeat_timeout_ms = 30000;
  // A dead worker without a job is forgotten after this long (a relaunched
  // pool registers under a new launch id, so old entries would pile up).
  int64_t forget_dead_after_ms = 600000;
};

bool IsTerminal(JobState state);
const char* JobStateName(JobState state);

class Scheduler {
 public:
  Scheduler(const Clock* clock, SchedulerOptions options);

  // Rebuilds the state after a coordinator restart. Workers get a fresh
  // heartbeat deadline: they reconnect and re-register.
  void Restore(std::vector<Job> jobs, std::vector<Worker> workers);

  // A new job (id, spec, priority and request id set by the caller): QUEUED.
  const Job& Submit(Job job);
  // Forgets a job as if it had never been submitted, freeing any ranks it
  // was given: undoes a Submit whose store write failed.
  void Remove(const std::string& id);
  // QUEUED (or SCHEDULED with no rank started) jobs end at once; running ones
  // are asked to stop (checkpoint first unless `force`). FailedPrecondition
  // for a job that already ended; NotFound for an unknown id.
  absl::StatusOr<const Job*> Cancel(const std::string& id, bool force);

  const Worker& Register(Worker worker);
  HeartbeatResponse Heartbeat(const HeartbeatRequest& request);
  absl::Status OnEvent(const ReportEventRequest& event);
  // Progress from the chief's step reports (step, loss, last evaluation).
  absl::Status OnMetrics(const ReportMetricsRequest& metrics);

  // Marks silent workers dead (failing their jobs), then places queued jobs.
  void Tick();

  const Job* FindJob(const std::string& id) const;
  const Worker* FindWorker(const std::string& id) const;
  std::vector<const Job*> Jobs() const;
  std::vector<const Worker*> Workers() const;
  int64_t QueueDepth() const;
  int64_t WorkersUp() const;
  const SchedulerOptions& options() const { return options_; }

  // Ids changed since the last call (a changed worker may have been removed).
  std::vector<std::string> TakeChangedJobs();
  std::vector<std::string> TakeChangedWorkers();
  // Age of the oldest heartbeat among live workers, ms (0 without any).
  int64_t OldestHeartbeatAgeMs() const;

 private:
  void Transition(Job* job, JobState state, const std::string& reason);
  void Touch(const Job& job) { changed_jobs_.insert(job.id()); }
  void TouchWorker(const Worker& w) { changed_workers_.insert(w.id()); }
  std::string WorkerIdOf(const Job& job, int gang_rank) const;
  int GangRankOf(const Job& job, const Worker& worker) const;
  void FreeWorker(Worker* worker);
  void Place();

  const Clock* clock_;
  SchedulerOptions options_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, Worker> workers_;
  int next_group_tag_ = 1;
  std::set<std::string> changed_jobs_, changed_workers_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_CORE_SCHEDULER_H_
