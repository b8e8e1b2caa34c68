#include "tests/store_test_util.h"

#include <google/protobuf/util/message_differencer.h>

#include <cstdio>

namespace camoe::testing {

Job MakeJob(int64_t number, JobState state, int64_t submit_time_ms,
            const std::string& client_request_id) {
  char id[32];
  std::snprintf(id, sizeof(id), "job-%06lld", static_cast<long long>(number));
  Job job;
  job.set_id(id);
  job.set_state(state);
  job.set_client_request_id(client_request_id);
  job.set_priority(static_cast<int32_t>(number % 3));
  job.set_submit_time_ms(submit_time_ms);
  job.set_update_time_ms(submit_time_ms + 1);
  job.set_reason("submitted");
  job.set_attempt(1);
  job.add_gang(0);
  job.add_gang(1);
  job.mutable_spec()->set_name(std::string("spec of ") + id);
  JobTransition* transition = job.add_history();
  transition->set_state(state);
  transition->set_time_ms(submit_time_ms);
  transition->set_reason("submitted");
  *job.mutable_last_evaluation() = MakeEvaluation(number, false);
  return job;
}

StepReport MakeStep(int64_t step, double loss_offset) {
  StepReport report;
  report.set_step(step);
  report.set_epoch(step / 100);
  report.set_total_steps(100000);
  report.set_loss(1.0 / static_cast<double>(step + 1) + loss_offset);
  report.add_stream_loss(0.5);
  report.add_stream_loss(0.25);
  report.add_stream_loss(0.125);
  report.set_lr_head(1e-4);
  report.set_lr_clip(1e-7);
  report.set_grad_norm(2.0);
  report.set_clips_per_second(123.5);
  report.set_step_seconds(0.75);
  report.add_gate_mean(0.3);
  report.add_gate_mean(0.3);
  report.add_gate_mean(0.4);
  report.set_samples(step * 128);
  report.set_time_ms(1700000000000 + step);
  return report;
}

EvaluationReport MakeEvaluation(int64_t step, bool final) {
  EvaluationReport evaluation;
  evaluation.set_step(step);
  evaluation.set_final(final);
  evaluation.set_videos(1000);
  evaluation.set_captions(1000);
  RetrievalResult* result = evaluation.add_results();
  result->set_stream("fusion");
  result->set_direction("t2v");
  result->set_variant(final ? "dsl" : "plain");
  result->set_r1(40.0 + static_cast<double>(step % 10));
  return evaluation;
}

::testing::AssertionResult SameMessage(const google::protobuf::Message& expected,
                                       const google::protobuf::Message& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string difference;
  differencer.ReportDifferencesToString(&difference);
  if (differencer.Compare(expected, actual)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << difference;
}

}  // namespace camoe::testing
