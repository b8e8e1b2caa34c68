// A bounded, thread-safe memo of word -> BPE ids, shared by all threads that
// encode with one BpeTokenizer (OpenAI's tokenizer memoises the same way, but
// without a bound). It is split into shards, each behind its own mutex, so
// that loader threads rarely wait for each other; a shard that reaches its
// share of the capacity is simply emptied (caption vocabularies are
// Zipf-like: the frequent words are back in a few captions).
#ifndef CAMOE_WORKER_TEXT_BPE_WORD_CACHE_H_
#define CAMOE_WORKER_TEXT_BPE_WORD_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace camoe {

class BpeWordCache {
 public:
  // Holds at most about `capacity` words.
  explicit BpeWordCache(size_t capacity);

  BpeWordCache(const BpeWordCache&) = delete;
  BpeWordCache& operator=(const BpeWordCache&) = delete;

  // Appends the cached ids of `word` to `ids` and returns true, or returns
  // false if `word` is not cached.
  bool Lookup(std::string_view word, std::vector<int32_t>* ids) const;

  void Insert(std::string_view word, const std::vector<int32_t>& ids);

  // The number of cached words (for tests).
  size_t Size() const;

 private:
  static constexpr size_t kShards = 16;

  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, std::vector<int32_t>> words ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view word) const;

  const size_t shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_BPE_WORD_CACHE_H_
