#include "worker/data/views.h"

#include "worker/data/rng.h"

namespace camoe::data {

TrainView::TrainView(const DatasetSplit& split, TrainSampling sampling, uint64_t seed)
    : split_(split),
      sampling_(sampling == TRAIN_SAMPLING_UNSPECIFIED ? TRAIN_SAMPLING_ALL_PAIRS : sampling),
      seed_(seed) {
  if (sampling_ == TRAIN_SAMPLING_ONE_CAPTION_PER_VIDEO) {
    video_captions_.resize(split.videos.size());
    for (size_t c = 0; c < split.captions.size(); ++c) {
      video_captions_[split.captions[c].video].push_back(static_cast<int32_t>(c));
    }
  }
}

int64_t TrainView::size() const {
  return sampling_ == TRAIN_SAMPLING_ONE_CAPTION_PER_VIDEO
             ? static_cast<int64_t>(split_.videos.size())
             : static_cast<int64_t>(split_.captions.size());
}

TrainSample TrainView::Get(int64_t index, int64_t epoch) const {
  if (sampling_ != TRAIN_SAMPLING_ONE_CAPTION_PER_VIDEO) {
    const CaptionRecord& caption = split_.captions[index];
    return TrainSample{caption.video, static_cast<int32_t>(index)};
  }
  // Every video has a caption (DatasetBuilder drops those without).
  const std::vector<int32_t>& captions = video_captions_[index];
  SplitMix64 rng(MixSeed(seed_, static_cast<uint64_t>(epoch), static_cast<uint64_t>(index)));
  return TrainSample{static_cast<int32_t>(index), captions[rng.Below(captions.size())]};
}

EvalView MakeEvalView(const DatasetSplit& split) {
  EvalView view;
  view.videos.reserve(split.videos.size());
  for (size_t v = 0; v < split.videos.size(); ++v) view.videos.push_back(static_cast<int32_t>(v));
  view.captions.reserve(split.captions.size());
  view.video_of_text.reserve(split.captions.size());
  for (size_t c = 0; c < split.captions.size(); ++c) {
    view.captions.push_back(static_cast<int32_t>(c));
    view.video_of_text.push_back(split.captions[c].video);
  }
  return view;
}

}  // namespace camoe::data
