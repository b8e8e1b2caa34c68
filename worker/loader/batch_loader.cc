#include "worker/loader/batch_loader.h"

#include <chrono>
#include <cstring>

namespace camoe::data {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BatchLoader::BatchLoader(FrameSource* source, const DatasetSplit* split,
                         std::vector<std::vector<TrainSample>> batches, BatchLoaderOptions options)
    : source_(source), split_(split), batches_(std::move(batches)), options_(options) {
  options_.threads = std::max(1, options_.threads);
  options_.prefetch_batches = std::max(1, options_.prefetch_batches);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Schedule the first window of batches.
    while (next_to_schedule_ < static_cast<int64_t>(batches_.size()) &&
           next_to_schedule_ < options_.prefetch_batches) {
      Slot& slot = slots_[next_to_schedule_];
      const auto& samples = batches_[next_to_schedule_];
      slot.batch.index = next_to_schedule_;
      slot.clips.resize(samples.size());
      slot.errors.resize(samples.size());
      slot.pending = static_cast<int>(samples.size());
      for (int i = 0; i < static_cast<int>(samples.size()); ++i) tasks_.emplace_back(next_to_schedule_, i);
      ++next_to_schedule_;
    }
  }
  for (int t = 0; t < options_.threads; ++t) threads_.emplace_back([this] { Work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void BatchLoader::Work() {
  while (true) {
    std::pair<int64_t, int> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = tasks_.front();
      tasks_.pop_front();
    }
    const auto start = std::chrono::steady_clock::now();
    const TrainSample sample = batches_[task.first][task.second];
    auto clip = source_->Get(split_->videos[sample.video]);
    std::lock_guard<std::mutex> lock(mu_);
    stats_.load_seconds += Since(start);
    Slot& slot = slots_[task.first];
    if (clip.ok()) {
      slot.clips[task.second] = std::move(*clip);
    } else {
      slot.errors[task.second] = std::string(clip.status().message());
    }
    if (--slot.pending == 0) done_cv_.notify_all();
  }
}

void BatchLoader::Assemble(Slot* slot) {
  const auto& samples = batches_[slot->batch.index];
  LoadedBatch& batch = slot->batch;
  batch.frames = source_->options().num_frames;
  batch.size = source_->options().size;
  const int64_t frame_bytes = static_cast<int64_t>(batch.size) * batch.size * 3;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!slot->clips[i]) {
      batch.dropped.push_back(slot->errors[i]);
      continue;
    }
    batch.samples.push_back(samples[i]);
  }
  const int64_t n = static_cast<int64_t>(batch.samples.size());
  batch.pixels.assign(n * batch.frames * frame_bytes, 0);
  batch.frame_mask.assign(n * batch.frames, 0);
  int64_t row = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& clip = slot->clips[i];
    if (!clip) continue;
    const int valid = std::min(clip->valid_frames, batch.frames);
    std::memcpy(batch.pixels.data() + row * batch.frames * frame_bytes, clip->pixels.data(),
                valid * frame_bytes);
    std::fill_n(batch.frame_mask.begin() + row * batch.frames, valid, 1);
    ++row;
  }
}

std::optional<LoadedBatch> BatchLoader::Next() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (next_to_return_ >= static_cast<int64_t>(batches_.size())) return std::nullopt;
  const int64_t index = next_to_return_++;
  done_cv_.wait(lock, [&] { return slots_[index].pending == 0; });
  Slot slot = std::move(slots_[index]);
  slots_.erase(index);
  // Refill the window: one more batch may now be scheduled.
  if (next_to_schedule_ < static_cast<int64_t>(batches_.size())) {
    Slot& next = slots_[next_to_schedule_];
    const auto& samples = batches_[next_to_schedule_];
    next.batch.index = next_to_schedule_;
    next.clips.resize(samples.size());
    next.errors.resize(samples.size());
    next.pending = static_cast<int>(samples.size());
    for (int i = 0; i < static_cast<int>(samples.size()); ++i) tasks_.emplace_back(next_to_schedule_, i);
    ++next_to_schedule_;
    work_cv_.notify_all();
  }
  stats_.wait_seconds += Since(start);
  lock.unlock();
  Assemble(&slot);
  lock.lock();
  ++stats_.batches;
  stats_.samples += static_cast<int64_t>(slot.batch.samples.size());
  stats_.dropped += static_cast<int64_t>(slot.batch.dropped.size());
  return std::move(slot.batch);
}

LoaderStats BatchLoader::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace camoe::data
