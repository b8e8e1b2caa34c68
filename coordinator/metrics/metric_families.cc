#include "coordinator/metrics/metric_families.h"

namespace camoe::coordinator {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

Family<Gauge>& GaugeFamily(prometheus::Registry& registry, const std::string& name,
                           const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}
Family<Counter>& CounterFamily(prometheus::Registry& registry, const std::string& name,
                               const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}
Family<Histogram>& HistogramFamily(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

const std::vector<double>& MetricFamilies::StepBuckets() {
  static const std::vector<double> buckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                              5,    10,  25,   60,  120, 300};
  return buckets;
}

MetricFamilies::MetricFamilies()
    : registry(std::make_shared<prometheus::Registry>()),
      start_time(GaugeFamily(*registry, "camoe_coordinator_start_time_seconds",
                             "When this coordinator process started (Unix time); a change means "
                             "counters restarted from zero")),
      queue_depth(GaugeFamily(*registry, "camoe_queue_depth",
                              "Jobs queued, waiting for a gang of free ranks")),
      workers_up(GaugeFamily(*registry, "camoe_workers_up",
                             "Registered workers whose heartbeats are current")),
      workers_registered(GaugeFamily(*registry, "camoe_workers_registered",
                                     "Workers registered with the coordinator, alive or not")),
      heartbeat_age(GaugeFamily(*registry, "camoe_worker_oldest_heartbeat_age_seconds",
                                "Seconds since the stalest live worker's last heartbeat")),
      job_state(GaugeFamily(*registry, "camoe_job_state",
                            "1 for the job's current state (one series per job, label state)")),
      job_state_time(GaugeFamily(*registry, "camoe_job_state_timestamp_seconds",
                                 "When the job entered its current state (Unix time)")),
      job_failures(
          CounterFamily(*registry, "camoe_job_failures_total", "Failures of the job, by class")),
      last_step_time(GaugeFamily(*registry, "camoe_job_last_step_timestamp_seconds",
                                 "When the coordinator received the job's last step (Unix time)")),
      job_step(GaugeFamily(*registry, "camoe_job_step", "The job's last reported optimizer step")),
      job_total_steps(GaugeFamily(*registry, "camoe_job_total_steps",
                                  "Optimizer steps the job's schedule runs")),
      job_epoch(
          GaugeFamily(*registry, "camoe_job_epoch", "The epoch of the job's last reported step")),
      loss(GaugeFamily(*registry, "camoe_train_loss",
                       "Training loss of the last step, streams weighted and summed")),
      stream_loss(GaugeFamily(*registry, "camoe_train_stream_loss",
                              "Training loss of one text stream, last step")),
      learning_rate(GaugeFamily(*registry, "camoe_train_learning_rate",
                                "Scheduled learning rate of a parameter group (head or clip)")),
      grad_norm(GaugeFamily(*registry, "camoe_train_grad_norm",
                            "Global gradient L2 norm before clipping")),
      clips_per_second(GaugeFamily(*registry, "camoe_train_clips_per_second",
                                   "Training throughput of the last step, video clips per second")),
      gate_weight(GaugeFamily(*registry, "camoe_train_gate_weight",
                              "Mean gate weight of a stream, last step")),
      step_duration(HistogramFamily(*registry, "camoe_train_step_duration_seconds",
                                    "Wall time of an optimizer step, data wait included")),
      steps(CounterFamily(*registry, "camoe_train_steps_total", "Optimizer steps reported")),
      samples(CounterFamily(*registry, "camoe_train_samples_total", "Training clips processed")),
      dropped(CounterFamily(*registry, "camoe_train_dropped_videos_total",
                            "Training videos that could not be read")),
      data_wait(CounterFamily(*registry, "camoe_train_data_wait_seconds_total",
                              "Step time spent waiting for data")),
      gather(CounterFamily(*registry, "camoe_train_gather_seconds_total",
                           "Step time spent in the embedding all-gathers")),
      sync(CounterFamily(*registry, "camoe_train_sync_seconds_total", "Gradient all-reduce time")),
      sync_hidden(CounterFamily(*registry, "camoe_train_sync_hidden_seconds_total",
                                "Gradient all-reduce time overlapped with backward")),
      nonfinite(CounterFamily(*registry, "camoe_train_nonfinite_steps_total",
                              "Steps reported with a NaN or infinite loss or gradient norm")),
      recall(GaugeFamily(*registry, "camoe_eval_recall_ratio",
                         "Recall at k of the job's last evaluation (0..1)")),
      median_rank(GaugeFamily(*registry, "camoe_eval_median_rank",
                              "Median rank of the true match (1 is best)")),
      mean_rank(GaugeFamily(*registry, "camoe_eval_mean_rank",
                            "Mean rank of the true match (1 is best)")),
      eval_gate_weight(GaugeFamily(*registry, "camoe_eval_gate_weight",
                                   "Mean gate weight of a stream at evaluation")),
      eval_videos(GaugeFamily(*registry, "camoe_eval_videos", "Videos in the last evaluation")),
      eval_captions(
          GaugeFamily(*registry, "camoe_eval_captions", "Captions in the last evaluation")),
      eval_unreadable(GaugeFamily(*registry, "camoe_eval_unreadable_videos",
                                  "Evaluation videos that could not be read")),
      eval_duration(GaugeFamily(*registry, "camoe_eval_duration_seconds",
                                "Wall time of the last evaluation")),
      eval_step(GaugeFamily(*registry, "camoe_eval_step",
                            "The optimizer step the last evaluation ran after")),
      evaluations(
          CounterFamily(*registry, "camoe_eval_evaluations_total", "Evaluations reported")) {}

}  // namespace camoe::coordinator
