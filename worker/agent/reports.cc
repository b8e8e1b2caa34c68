#include "worker/agent/reports.h"

namespace camoe::agent {
namespace {

void AddResult(const char* stream, const char* direction, const char* variant,
               const RetrievalMetrics& m, EvaluationReport* report) {
  RetrievalResult* r = report->add_results();
  r->set_stream(stream);
  r->set_direction(direction);
  r->set_variant(variant);
  r->set_r1(m.r1);
  r->set_r5(m.r5);
  r->set_r10(m.r10);
  r->set_mdr(m.mdr);
  r->set_mnr(m.mnr);
  r->set_queries(m.queries);
}

}  // namespace

StepReport ToStepReport(const StepMetrics& m, int64_t time_ms) {
  StepReport r;
  r.set_step(m.step);
  r.set_epoch(m.epoch);
  r.set_total_steps(m.total_steps);
  r.set_loss(m.loss);
  for (int st = 0; st < kNumStreams; ++st) {
    r.add_stream_loss(m.stream_loss[st]);
    r.add_gate_mean(m.gate_mean[st]);
  }
  r.set_lr_head(m.lr_head);
  r.set_lr_clip(m.lr_clip);
  r.set_grad_norm(m.grad_norm);
  r.set_clips_per_second(m.clips_per_second);
  r.set_step_seconds(m.step_seconds);
  r.set_data_wait_seconds(m.data_wait_seconds);
  r.set_gather_seconds(m.gather_seconds);
  r.set_sync_seconds(m.sync_seconds);
  r.set_sync_hidden_fraction(m.sync_hidden_fraction);
  r.set_samples(m.samples);
  r.set_dropped(m.dropped);
  r.set_time_ms(time_ms);
  return r;
}

EvaluationReport ToEvaluationReport(int64_t step, const EvaluationResult& result, bool final,
                                    int64_t time_ms) {
  EvaluationReport r;
  r.set_step(step);
  r.set_final(final);
  r.set_time_ms(time_ms);
  r.set_videos(result.videos);
  r.set_captions(result.captions);
  r.set_unreadable_videos(static_cast<int64_t>(result.bad_videos.size()));
  r.set_seconds(result.seconds);
  for (int st = 0; st < kNumStreams; ++st) r.add_gate_mean(result.gate_mean[st]);
  for (const StreamEvaluation& s : result.streams) {
    const char* stream = StreamName(s.stream);
    const RetrievalReport& rep = s.report;
    AddResult(stream, "t2v", "plain", rep.t2v, &r);
    AddResult(stream, "v2t", "plain", rep.v2t, &r);
    if (rep.t2v_dsl) AddResult(stream, "t2v", "dsl", *rep.t2v_dsl, &r);
    if (rep.v2t_dsl) AddResult(stream, "v2t", "dsl", *rep.v2t_dsl, &r);
    if (rep.t2v_qbnorm) AddResult(stream, "t2v", "qbnorm", *rep.t2v_qbnorm, &r);
  }
  return r;
}

}  // namespace camoe::agent
