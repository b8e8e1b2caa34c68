// MetricsExporter serves the coordinator's view of training (loss, recall,
// throughput, job states, queue and worker health) in the Prometheus text
// format over HTTP (`GET /metrics`), for dashboards and alerts. Every metric,
// its labels and its meaning are listed in docs/operations.md; names follow
// Prometheus conventions (base units, `_total` counters, `_seconds`
// durations, ratios in 0..1). The exporter owns its HTTP server (civetweb
// threads, via prometheus-cpp) and stops it when destroyed. All methods are
// thread-safe: gRPC handler threads call them concurrently while the HTTP
// threads scrape. A scrape may see one step's figures half applied (each
// series is updated atomically, a step as a whole is not).
#ifndef CAMOE_COORDINATOR_METRICS_METRICS_EXPORTER_H_
#define CAMOE_COORDINATOR_METRICS_METRICS_EXPORTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "camoe/service.pb.h"

namespace camoe::coordinator {

struct MetricsExporterOptions {
  // HOST:PORT to serve /metrics on (IPv4 address or host name; civetweb here
  // has no IPv6). Loopback by default: metrics name jobs, so exposing them on
  // other interfaces is an explicit choice. Port 0 picks a free port.
  std::string bind_address = "127.0.0.1:9464";
  // HTTP basic auth for /metrics; both empty: none. Plain HTTP sends the
  // password in clear text, so use it on trusted networks or behind TLS.
  std::string basic_auth_user;
  std::string basic_auth_password;
  // Wall clock in milliseconds since the Unix epoch, for the timestamps the
  // exporter takes itself (last step received). Empty: the system clock.
  std::function<int64_t()> clock_ms;
};

class MetricsExporter {
 public:
  // Starts serving. Errors name the address and the cause (port in use,
  // address not local, malformed address, half-set credentials).
  static absl::StatusOr<std::unique_ptr<MetricsExporter>> Start(
      const MetricsExporterOptions& options);

  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The address actually served, "host:port" (the real port when 0 was asked).
  std::string address() const;

  // One optimizer step of a job (global figures). Non-finite loss or gradient
  // norm values are exported as they are and counted.
  void OnStep(const std::string& job_id, const StepReport& step);
  // An evaluation; replaces the job's previous retrieval figures. Results whose
  // stream, direction or variant is not a short lower-case name are ignored.
  void OnEvaluation(const std::string& job_id, const EvaluationReport& evaluation);
  // The job entered `state` at `transition_time_ms` (coordinator clock).
  void OnJobState(const std::string& job_id, JobState state, int64_t transition_time_ms);
  // Drops every series of the job (terminal jobs after their retention).
  void OnJobRemoved(const std::string& job_id);
  // A failure of the job, by class: "non_finite", "worker_lost", "config",
  // "oom", "data", "other"; any other short lower-case name is kept as is,
  // anything else becomes "other".
  void OnJobFailure(const std::string& job_id, const std::string& failure_class);

  void SetQueueDepth(int64_t jobs);
  void SetWorkers(int64_t up, int64_t registered);
  void SetOldestHeartbeatAge(double seconds);

 private:
  struct State;
  explicit MetricsExporter(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_METRICS_METRICS_EXPORTER_H_
