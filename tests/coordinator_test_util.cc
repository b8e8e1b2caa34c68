#include "tests/coordinator_test_util.h"

#include "absl/strings/str_format.h"
#include "common/text_proto.h"

namespace camoe::testing {

JobSpec ServiceSpec(int world_size) {
  JobSpec spec;
  const std::string text = R"pb(
    name: "service-test"
    model {
      clip {
        embed_dim: 32
        vision { image_resolution: 32 patch_size: 16 width: 32 layers: 1 heads: 1 }
        text { context_length: 16 width: 32 layers: 1 heads: 1 }
      }
    }
    tokenizer { max_words: 16 }
    data {
      format: DATASET_MSRVTT
      annotation_dir: "msrvtt"
      video_dir: "msrvtt/videos"
      train_split: "9k"
      eval_split: "full"
      num_frames: 4
    }
    optimizer { clip_lr: 1e-3 head_lr: 1e-3 }
    schedule { epochs: 1 max_steps: 3 }
  )pb";
  absl::Status parsed = ParseTextProto(text, "service test spec", &spec);
  if (!parsed.ok()) return spec;  // the tests then fail on validation, naming the field
  spec.mutable_schedule()->set_batch_size(2 * world_size);
  spec.mutable_distributed()->set_world_size(world_size);
  return spec;
}

Worker PoolWorker(const std::string& launch_id, int launch_rank, int launch_size,
                  const std::string& host) {
  Worker w;
  w.set_id(absl::StrFormat("%s/%d", launch_id, launch_rank));
  w.set_host(host);
  w.set_launch_id(launch_id);
  w.set_launch_rank(launch_rank);
  w.set_launch_size(launch_size);
  w.set_device("cpu");
  w.set_capacity(1);
  w.set_pid(1000 + launch_rank);
  return w;
}

ReportEventRequest WorkerEvent(const std::string& worker_id, const std::string& job_id,
                               int attempt, WorkerEventType type) {
  ReportEventRequest event;
  event.set_worker_id(worker_id);
  event.set_job_id(job_id);
  event.set_attempt(attempt);
  event.set_type(type);
  return event;
}

StepReport Step(int64_t step, int64_t total, double loss) {
  StepReport s;
  s.set_step(step);
  s.set_total_steps(total);
  s.set_loss(loss);
  return s;
}

}  // namespace camoe::testing
