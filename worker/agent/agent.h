// WorkerAgent: one rank of a worker pool. A pool is a launch of processes
// (`mpirun -np N camoe-worker ...` or srun); each process runs one agent that
//
//   1. registers with the coordinator as "<launch id>/<launch rank>",
//   2. heart-beats on its own thread, learning assignments and cancellations
//      from the replies (and registering again when the coordinator forgot it),
//   3. runs each assignment: joins the gang's communicator (the launch ranks
//      the coordinator chose, under the attempt's group tag), trains with the
//      Trainer, and - on the gang's chief - streams step and evaluation
//      metrics in batches from a reporter thread, with a bounded buffer that
//      survives a coordinator outage,
//   4. reports STARTED, CHECKPOINTED and a final FINISHED / CANCELLED / FAILED
//      event, retrying transient errors until the coordinator acknowledges,
//      and takes no new work before that.
//
// A cancel stops the gang at the same step on every rank (the trainer's
// collective stop): after a checkpoint, or at once when forced. Shutdown()
// (SIGTERM) stops a running job after a checkpoint and reports it FAILED and
// retryable, so the coordinator can run it again elsewhere. docs/protocol.md
// tells the whole protocol.
//
// Thread-safety: Run() on one thread; Shutdown() and the accessors from any.
#ifndef CAMOE_WORKER_AGENT_AGENT_H_
#define CAMOE_WORKER_AGENT_AGENT_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "camoe/service.pb.h"
#include "worker/agent/worker_client.h"
#include "worker/dist/communicator.h"
#include "worker/train/trainer.h"

namespace camoe::agent {

// This process's place in its launch.
struct LaunchInfo {
  std::string launch_id;  // the same for every process of one mpirun/srun launch
  int rank = 0;           // MPI_COMM_WORLD rank
  int size = 1;
  std::string host;
  int64_t pid = 0;
  std::string device = "cpu";  // "cpu" or "cuda:N"
};

// Makes the communicator a gang trains over: collective over the processes of
// `assignment.gang()` (launch ranks), ranked by gang rank.
using GangFactory = std::function<absl::StatusOr<std::unique_ptr<Communicator>>(
    const Assignment& assignment, const CommunicatorOptions& options)>;

struct AgentOptions {
  WorkerClientOptions client;
  std::string vocab_path;  // BPE merges for specs that leave tokenizer.vocab_path empty
  // The chief writes each job's training log to <log_dir>/<job id>.log
  // (appended per attempt); empty: standard error.
  std::string log_dir;
  // Metrics are sent at most this often (and at the end of the job).
  absl::Duration report_interval = absl::Seconds(1);
  // Steps kept while the coordinator is unreachable; the oldest are dropped
  // (and counted) beyond this.
  int max_buffered_steps = 20000;
  // Retry backoff for registration and event delivery: doubles up to this.
  absl::Duration max_backoff = absl::Seconds(5);
  // After Shutdown(), how long the agent still tries to deliver a job's last
  // metrics and event.
  absl::Duration shutdown_delivery_timeout = absl::Seconds(15);
};

// What happened to one assignment on this agent.
struct JobRecord {
  std::string job_id;
  int attempt = 0;
  WorkerEventType outcome = EVENT_UNSPECIFIED;
  std::string reason;
  int64_t step = 0;
};

class WorkerAgent {
 public:
  WorkerAgent(AgentOptions options, LaunchInfo launch, GangFactory gangs);
  ~WorkerAgent();
  WorkerAgent(const WorkerAgent&) = delete;
  WorkerAgent& operator=(const WorkerAgent&) = delete;

  // Registers (retrying until the coordinator answers or Shutdown), then runs
  // assignments until Shutdown. OK after a shutdown; an error only when the
  // coordinator refuses the registration.
  absl::Status Run();
  // Makes Run return: a running job stops after a checkpoint first.
  void Shutdown();

  std::string worker_id() const;
  // The assignments run so far, oldest first.
  std::vector<JobRecord> history() const;

 private:
  class JobObserver;

  struct Outcome {
    WorkerEventType type = EVENT_UNSPECIFIED;
    std::string reason;
    std::string failure_class;
    bool retryable = true;
    int64_t step = 0;
    std::string checkpoint;
    std::optional<EvaluationReport> evaluation;
  };

  absl::Status RegisterWithRetry();
  absl::Status RegisterOnce();
  void HeartbeatLoop();
  Outcome RunJob(const Assignment& assignment);
  // Calls `send` until it succeeds, fails permanently, or (after Shutdown) the
  // delivery timeout passes.
  absl::Status Deliver(const std::string& what, const std::function<absl::Status()>& send);
  ReportEventRequest Event(const Assignment& assignment, WorkerEventType type) const;
  StopRequest stop_request() const;

  const AgentOptions options_;
  const LaunchInfo launch_;
  const GangFactory gangs_;
  const std::string worker_id_;
  WorkerClient client_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;                            // GUARDED_BY(mu_)
  absl::Time shutdown_time_;                         // GUARDED_BY(mu_)
  absl::Duration heartbeat_interval_ = absl::Seconds(2);  // GUARDED_BY(mu_)
  std::optional<Assignment> pending_;                // GUARDED_BY(mu_)
  std::string current_job_;                          // GUARDED_BY(mu_)
  int current_attempt_ = 0;                          // GUARDED_BY(mu_)
  StopRequest stop_ = StopRequest::kNone;            // GUARDED_BY(mu_)
  bool cancel_seen_ = false;                         // GUARDED_BY(mu_)
  std::set<std::pair<std::string, int>> finished_;   // GUARDED_BY(mu_): (job, attempt)
  std::vector<JobRecord> history_;                   // GUARDED_BY(mu_)
  std::atomic<int64_t> current_step_{0};
  std::thread heartbeat_thread_;
};

}  // namespace camoe::agent

#endif  // CAMOE_WORKER_AGENT_AGENT_H_
