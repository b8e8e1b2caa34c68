// BatchLoader: loads a fixed sequence of batches (lists of train samples) on
// a pool of threads, up to `prefetch_batches` ahead of the consumer, and hands
// them out in order. Each sample is loaded as its own task, so one batch's
// videos decode in parallel. A sample whose video cannot be read is dropped
// from its batch (named in LoadedBatch::dropped); the batch shrinks rather than
// carrying zeros. Frames stay uint8: the trainer normalises on the device.
//
// One consumer thread calls Next(); the destructor stops the pool.
#ifndef CAMOE_WORKER_LOADER_BATCH_LOADER_H_
#define CAMOE_WORKER_LOADER_BATCH_LOADER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/data/dataset.h"
#include "worker/data/views.h"
#include "worker/loader/frame_source.h"

namespace camoe::data {

struct LoadedBatch {
  int64_t index = 0;                // position in the sequence
  std::vector<TrainSample> samples;  // the samples kept, in order
  std::vector<std::string> dropped;  // "path: reason" of samples left out
  int frames = 0;                    // frames per video (num_frames)
  int size = 0;                      // frame side
  // [samples, frames, size, size, 3] uint8, padding frames zero.
  std::vector<uint8_t> pixels;
  // [samples, frames]: 1 for a real frame.
  std::vector<uint8_t> frame_mask;
};

struct BatchLoaderOptions {
  int threads = 4;
  int prefetch_batches = 2;
};

struct LoaderStats {
  int64_t batches = 0;
  int64_t samples = 0;
  int64_t dropped = 0;
  double wait_seconds = 0;  // consumer time blocked in Next()
  double load_seconds = 0;  // summed task time over threads
};

class BatchLoader {
 public:
  // `source` and `split` must outlive the loader.
  BatchLoader(FrameSource* source, const DatasetSplit* split,
              std::vector<std::vector<TrainSample>> batches, BatchLoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in sequence order, nullopt after the last.
  std::optional<LoadedBatch> Next();
  LoaderStats stats() const;

 private:
  struct Slot {  // one batch being assembled
    LoadedBatch batch;
    std::vector<std::shared_ptr<const ClipFrames>> clips;
    std::vector<std::string> errors;
    int pending = 0;
  };
  void Work();
  void Assemble(Slot* slot);

  FrameSource* source_;
  const DatasetSplit* split_;
  std::vector<std::vector<TrainSample>> batches_;
  BatchLoaderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::pair<int64_t, int>> tasks_;  // (batch, sample); GUARDED_BY(mu_)
  std::map<int64_t, Slot> slots_;              // batches in flight; GUARDED_BY(mu_)
  int64_t next_to_schedule_ = 0;               // GUARDED_BY(mu_)
  int64_t next_to_return_ = 0;                 // GUARDED_BY(mu_)
  bool stopping_ = false;                      // GUARDED_BY(mu_)
  LoaderStats stats_;                          // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace camoe::data

#endif  // CAMOE_WORKER_LOADER_BATCH_LOADER_H_
