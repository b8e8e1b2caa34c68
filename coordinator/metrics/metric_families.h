// The Prometheus metric families the coordinator exports, registered in one
// registry: every name, type and help text in one place (docs/operations.md
// has the table). Internal to coordinator/metrics; MetricsExporter owns one.
// The families are thread-safe (prometheus-cpp locks each); this struct only
// holds references into the registry, which it keeps alive.
#ifndef CAMOE_COORDINATOR_METRICS_METRIC_FAMILIES_H_
#define CAMOE_COORDINATOR_METRICS_METRIC_FAMILIES_H_

#include <memory>
#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace camoe::coordinator {

struct MetricFamilies {
  MetricFamilies();

  // Step-time buckets: from ~0.05 s (the demo's tiny model) to minutes
  // (ViT-B/16 with large global batches on CPU ranks).
  static const std::vector<double>& StepBuckets();

  const std::shared_ptr<prometheus::Registry> registry;

  prometheus::Family<prometheus::Gauge>& start_time;
  prometheus::Family<prometheus::Gauge>& queue_depth;
  prometheus::Family<prometheus::Gauge>& workers_up;
  prometheus::Family<prometheus::Gauge>& workers_registered;
  prometheus::Family<prometheus::Gauge>& heartbeat_age;
  prometheus::Family<prometheus::Gauge>& job_state;
  prometheus::Family<prometheus::Gauge>& job_state_time;
  prometheus::Family<prometheus::Counter>& job_failures;
  prometheus::Family<prometheus::Gauge>& last_step_time;
  prometheus::Family<prometheus::Gauge>& job_step;
  prometheus::Family<prometheus::Gauge>& job_total_steps;
  prometheus::Family<prometheus::Gauge>& job_epoch;
  prometheus::Family<prometheus::Gauge>& loss;
  prometheus::Family<prometheus::Gauge>& stream_loss;
  prometheus::Family<prometheus::Gauge>& learning_rate;
  prometheus::Family<prometheus::Gauge>& grad_norm;
  prometheus::Family<prometheus::Gauge>& clips_per_second;
  prometheus::Family<prometheus::Gauge>& gate_weight;
  prometheus::Family<prometheus::Histogram>& step_duration;
  prometheus::Family<prometheus::Counter>& steps;
  prometheus::Family<prometheus::Counter>& samples;
  prometheus::Family<prometheus::Counter>& dropped;
  prometheus::Family<prometheus::Counter>& data_wait;
  prometheus::Family<prometheus::Counter>& gather;
  prometheus::Family<prometheus::Counter>& sync;
  prometheus::Family<prometheus::Counter>& sync_hidden;
  prometheus::Family<prometheus::Counter>& nonfinite;
  prometheus::Family<prometheus::Gauge>& recall;
  prometheus::Family<prometheus::Gauge>& median_rank;
  prometheus::Family<prometheus::Gauge>& mean_rank;
  prometheus::Family<prometheus::Gauge>& eval_gate_weight;
  prometheus::Family<prometheus::Gauge>& eval_videos;
  prometheus::Family<prometheus::Gauge>& eval_captions;
  prometheus::Family<prometheus::Gauge>& eval_unreadable;
  prometheus::Family<prometheus::Gauge>& eval_duration;
  prometheus::Family<prometheus::Gauge>& eval_step;
  prometheus::Family<prometheus::Counter>& evaluations;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_METRICS_METRIC_FAMILIES_H_
