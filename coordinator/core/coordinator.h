// Coordinator: the thread-safe heart of the service. It owns the Scheduler
// (domain state), persists every change to the JobStore before a call
// returns (so an acknowledged transition survives SIGKILL), exports metrics,
// and wakes WatchJob streams. gRPC handlers validate, call one method here,
// and translate the Status.
//
// All methods are thread-safe (one mutex; store writes happen under it, so
// the order on disk is the order of decisions).
#ifndef CAMOE_COORDINATOR_CORE_COORDINATOR_H_
#define CAMOE_COORDINATOR_CORE_COORDINATOR_H_

#include <condition_variable>
#include <map>
#include <set>
#include <thread>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "camoe/service.pb.h"
#include "coordinator/core/clock.h"
#include "coordinator/core/scheduler.h"
#include "coordinator/core/validation.h"

namespace camoe::coordinator {

class JobStore;
class MetricsExporter;

struct CoordinatorOptions {
  SchedulerOptions scheduler;
  ValidationOptions validation;
  // Step reports kept per job in memory for WatchJob (older ones come from the store).
  int watch_batch_limit = 1000;
  // Prometheus series of an ended job are dropped this long after it ended.
  int64_t metrics_retention_ms = 3600000;
};

// Where a WatchJob stream is.
struct WatchCursor {
  int64_t job_version = -1;  // last Job snapshot sent
  int64_t after_step = 0;    // last step report sent; steps after it are delivered
  int64_t evaluations_sent = 0;
};

class Coordinator {
 public:
  // Restores the state from `store`. `exporter` may be null.
  static absl::StatusOr<std::unique_ptr<Coordinator>> Create(const CoordinatorOptions& options,
                                                             JobStore* store,
                                                             MetricsExporter* exporter,
                                                             const Clock* clock);
  ~Coordinator();

  // JobService.
  absl::StatusOr<SubmitJobResponse> SubmitJob(const SubmitJobRequest& request);
  absl::StatusOr<Job> GetJob(const std::string& id);
  absl::StatusOr<ListJobsResponse> ListJobs(const ListJobsRequest& request);
  absl::StatusOr<Job> CancelJob(const CancelJobRequest& request);
  absl::StatusOr<JobMetrics> GetJobMetrics(const std::string& id);
  // Blocks up to `timeout` for anything newer than `cursor`; returns the
  // updates (state snapshot first) and sets `*done` once the job ended and
  // everything was delivered.
  absl::StatusOr<std::vector<JobUpdate>> WaitForUpdates(const std::string& id, WatchCursor* cursor,
                                                        absl::Duration timeout, bool* done);

  // WorkerService.
  absl::StatusOr<RegisterWorkerResponse> RegisterWorker(const RegisterWorkerRequest& request);
  absl::StatusOr<HeartbeatResponse> Heartbeat(const HeartbeatRequest& request);
  absl::Status ReportMetrics(const ReportMetricsRequest& request);
  absl::Status ReportEvent(const ReportEventRequest& request);

  // Dead-worker detection and scheduling; a background thread calls it.
  absl::Status Tick();
  // Starts that thread (every heartbeat interval / 2) until destruction.
  void StartBackgroundTicks();
  // Wakes every watcher and stops background work.
  void Shutdown();

  std::vector<Worker> Workers();

 private:
  Coordinator(const CoordinatorOptions& options, JobStore* store, MetricsExporter* exporter,
              const Clock* clock);
  // Writes what the scheduler changed (jobs, workers, transition events) in
  // one transaction and updates metrics. REQUIRES: mu_ held.
  absl::Status PersistChanges();
  // Drops the exported series of jobs that ended over the retention ago.
  // REQUIRES: mu_ held.
  void ExpireExportedJobs();

  const CoordinatorOptions options_;
  JobStore* store_;
  MetricsExporter* exporter_;
  const Clock* clock_;
  std::mutex mu_;
  std::condition_variable updated_;
  Scheduler scheduler_;                       // GUARDED_BY(mu_)
  std::map<std::string, int64_t> versions_;   // GUARDED_BY(mu_): per job, bumped on any change
  std::map<std::string, size_t> history_sizes_;  // GUARDED_BY(mu_): transitions already logged
  int64_t next_job_number_ = 1;               // GUARDED_BY(mu_)
  std::set<std::string> exported_;            // GUARDED_BY(mu_): jobs with exported series
  // GUARDED_BY(mu_): changed since the last successful store write.
  std::set<std::string> unstored_jobs_, unstored_workers_;
  bool shutdown_ = false;                     // GUARDED_BY(mu_)
  std::thread ticker_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_CORE_COORDINATOR_H_
