#include "worker/text/bpe_word_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace camoe {
namespace {

// Debian's absl has its own string_view type; convert at the boundary.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

BpeWordCache::BpeWordCache(size_t capacity)
    : shard_capacity_(std::max<size_t>(1, capacity / kShards)) {}

BpeWordCache::Shard& BpeWordCache::ShardFor(std::string_view word) const {
  // The map hashes the word again inside the shard; using high bits here
  // keeps the two choices from correlating.
  const size_t hash = absl::Hash<absl::string_view>{}(AbslView(word));
  return shards_[(hash >> 40) % kShards];
}

bool BpeWordCache::Lookup(std::string_view word, std::vector<int32_t>* ids) const {
  Shard& shard = ShardFor(word);
  absl::ReaderMutexLock lock(&shard.mu);
  auto it = shard.words.find(AbslView(word));
  if (it == shard.words.end()) return false;
  ids->insert(ids->end(), it->second.begin(), it->second.end());
  return true;
}

void BpeWordCache::Insert(std::string_view word, const std::vector<int32_t>& ids) {
  Shard& shard = ShardFor(word);
  absl::MutexLock lock(&shard.mu);
  if (shard.words.size() >= shard_capacity_) shard.words.clear();
  shard.words.emplace(std::string(word), ids);
}

size_t BpeWordCache::Size() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    absl::ReaderMutexLock lock(&shard.mu);
    total += shard.words.size();
  }
  return total;
}

}  // namespace camoe
