// TagCache: the keywords found in each distinct text, so that a caption is
// parsed once per process and, through Save/Load, once per dataset. Entries
// are keyed by the exact text that was tagged. The cache is thread-safe (one
// reader/writer mutex); TaggedText values are copied in and out. A cache
// carries a version string (tagging rules, link-grammar and dictionary
// versions, tagger options): Load ignores a file written under another
// version, so a changed tagger never reuses stale tags. File format in
// docs/pos.md ("Tag cache").
#ifndef CAMOE_WORKER_POS_TAG_CACHE_H_
#define CAMOE_WORKER_POS_TAG_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/pos/word_class.h"

namespace camoe {

// A keyword: bytes [begin, end) of the tagged text are a NOUN or a VERB.
struct KeywordSpan {
  int32_t begin = 0;
  int32_t end = 0;
  PosTag tag = PosTag::kOther;
  friend bool operator==(const KeywordSpan& a, const KeywordSpan& b) {
    return a.begin == b.begin && a.end == b.end && a.tag == b.tag;
  }
};

// The result of tagging one text. Words not listed are OTHER.
struct TaggedText {
  std::vector<KeywordSpan> keywords;  // In text order, not overlapping.
  bool used_lead_in = false;          // A sentence's tags came from the lead-in re-parse.
  bool timed_out = false;             // A sentence's parse hit the time limit.
  friend bool operator==(const TaggedText& a, const TaggedText& b) {
    return a.keywords == b.keywords && a.used_lead_in == b.used_lead_in &&
           a.timed_out == b.timed_out;
  }
};

// What Load found.
struct TagCacheLoad {
  size_t loaded = 0;         // Entries read from the file (all inserted unless the cache is full).
  bool stale = false;        // The file's version differs; nothing was loaded.
  std::string file_version;  // The version the file was written with.
};

class TagCache {
 public:
  // `version` must not contain tabs or newlines. `max_entries` = 0: no bound;
  // otherwise Insert stops adding once the cache holds that many texts.
  explicit TagCache(std::string version, size_t max_entries = 0);

  TagCache(const TagCache&) = delete;
  TagCache& operator=(const TagCache&) = delete;

  // Copies the tags of `text` into `tags` and returns true if cached.
  bool Lookup(std::string_view text, TaggedText* tags) const;
  void Insert(std::string_view text, const TaggedText& tags);

  size_t size() const;
  const std::string& version() const { return version_; }

  // Writes every entry (sorted by text, so equal caches give equal files)
  // atomically to `path`.
  absl::Status Save(const std::string& path) const;

  // Adds the entries of a file written by Save. NotFound if it is missing;
  // DataLoss naming the line if it is malformed; a file with another
  // version is not an error: it is reported as stale and not loaded (the
  // caller re-tags and saves over it).
  absl::StatusOr<TagCacheLoad> Load(const std::string& path);

 private:
  const std::string version_;
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, TaggedText> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace camoe

#endif  // CAMOE_WORKER_POS_TAG_CACHE_H_
