// How training and evaluation look at a DatasetSplit.
//   TrainView: the samples of one epoch under a TrainSampling policy. Sample i
//     of epoch e is a (video, caption) pair; with one caption per video the
//     caption is drawn from (seed, epoch, video), so every rank and every
//     restart agrees on it without communication. Pair it with a
//     DistributedSampler over [0, size()).
//   EvalView: every video once and every caption, with the caption -> video
//     map that multi-caption metrics (MSVD, MSR-VTT full) need. Videos are
//     encoded once, not once per caption.
// Both borrow the split (it must outlive them), are immutable after
// construction and thread-safe.
#ifndef CAMOE_WORKER_DATA_VIEWS_H_
#define CAMOE_WORKER_DATA_VIEWS_H_

#include <cstdint>
#include <vector>

#include "camoe/data.pb.h"
#include "worker/data/dataset.h"

namespace camoe::data {

struct TrainSample {
  int32_t video = 0;    // index into DatasetSplit::videos
  int32_t caption = 0;  // index into DatasetSplit::captions
};

class TrainView {
 public:
  // TRAIN_SAMPLING_UNSPECIFIED means ALL_PAIRS.
  TrainView(const DatasetSplit& split, TrainSampling sampling, uint64_t seed);

  TrainSampling sampling() const { return sampling_; }
  // Samples per epoch: captions (all pairs) or videos (one per video).
  int64_t size() const;
  // REQUIRES: 0 <= index < size().
  TrainSample Get(int64_t index, int64_t epoch) const;

 private:
  const DatasetSplit& split_;
  TrainSampling sampling_;
  uint64_t seed_;
  // Captions of each video, in split order (one caption per video mode).
  std::vector<std::vector<int32_t>> video_captions_;
};

struct EvalView {
  // Split video indices in evaluation order (each once) and split caption
  // indices in evaluation order (all of them).
  std::vector<int32_t> videos;
  std::vector<int32_t> captions;
  // For each evaluation caption, its video's position in `videos`: the
  // `video_of_text` that worker/eval's retrieval metrics take.
  std::vector<int64_t> video_of_text;
};

// Videos in split order, captions in split order.
EvalView MakeEvalView(const DatasetSplit& split);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_VIEWS_H_
