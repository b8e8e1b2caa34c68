// PosTagger: marks the nouns (entity keywords) and verbs (action keywords) of
// a caption with link-grammar (docs/pos.md). A text is split into sentences;
// each is parsed, and a fragment ("people dancing at a party") is parsed a
// second time behind a neutral lead-in ("we see ...") and the better parse
// kept. Results are cached per distinct text (TagCache), in memory and, via
// SaveCache/LoadCache, on disk. The tagger owns its LinkGrammar and cache;
// Tag may be called from any number of threads at once (link-grammar parses
// run in parallel, one Parse_Options each), and the counters are atomic.
#ifndef CAMOE_WORKER_POS_POS_TAGGER_H_
#define CAMOE_WORKER_POS_POS_TAGGER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "worker/pos/link_grammar.h"
#include "worker/pos/tag_cache.h"

namespace camoe {

struct PosTaggerOptions {
  LinkGrammarOptions link_grammar;
  // Prepended (with a space) to re-parse a fragment; its words are dropped
  // from the result. Empty: fragments are not re-parsed.
  std::string lead_in = "we see";
  // Sentences with more words are cut into parts of this many words before
  // parsing (link-grammar's time grows quickly with length).
  int max_sentence_words = 40;
  // Bound on cached texts; 0: unbounded (MSR-VTT's 200k captions take
  // about 40 MB).
  size_t max_cache_entries = 0;
};

// Counters since creation. Sentences are counted per parse, not per cache
// hit.
struct PosTaggerStats {
  int64_t texts_tagged = 0;      // Texts parsed (cache misses).
  int64_t cache_hits = 0;        // Texts answered from the cache.
  int64_t sentences = 0;         // Sentences parsed.
  int64_t lead_in_reparsed = 0;  // Sentences re-parsed behind the lead-in.
  int64_t lead_in_chosen = 0;    // ... whose lead-in parse was kept.
  int64_t timed_out = 0;         // Sentences whose parse hit the time limit.
  int64_t unparsed = 0;          // Sentences without any linkage (no keywords).
  int64_t null_words = 0;        // Words outside the kept linkage (tagged
                                 // from the dictionary alone).
};

class PosTagger {
 public:
  // Opens the dictionary (NotFound says how to install it);
  // InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<PosTagger>> Create(const PosTaggerOptions& options = {});

  PosTagger(const PosTagger&) = delete;
  PosTagger& operator=(const PosTagger&) = delete;

  // The keywords of `text` (any UTF-8; captions are tagged after
  // CleanCaption, see caption_streams.h), spans indexing `text`. Cached.
  TaggedText Tag(std::string_view text);

  PosTaggerStats stats() const;

  // Tagging rules, link-grammar, dictionary and the options that change
  // tags; the tag cache's version.
  const std::string& version() const { return cache_.version(); }

  TagCache& cache() { return cache_; }
  absl::Status SaveCache(const std::string& path) const { return cache_.Save(path); }
  absl::StatusOr<TagCacheLoad> LoadCache(const std::string& path) { return cache_.Load(path); }

 private:
  PosTagger(const PosTaggerOptions& options, std::unique_ptr<LinkGrammar> lg, std::string version);

  struct SentenceTags;
  TaggedText TagUncached(std::string_view text);
  SentenceTags TagSentence(const std::string& sentence);
  SentenceTags Analyze(const LgParse& parse, int skip_bytes);
  // Note [Names]: capitalises lower-cased names link-grammar knows.
  void RestoreNameCapitals(std::string* text) const;
  // Whether words[i] is the noun of an idiom "P N of|to" (Note [Complex
  // prepositions]).
  bool InComplexPreposition(const std::vector<LgWord>& words, size_t i) const;
  // An -ing form of a verb ("crawling"), not a base form ("bring").
  bool IsIngForm(const LgWord& word) const;

  const PosTaggerOptions options_;
  const std::unique_ptr<LinkGrammar> lg_;
  TagCache cache_;
  std::atomic<int64_t> texts_tagged_{0};
  std::atomic<int64_t> cache_hits_{0};
  std::atomic<int64_t> sentences_{0};
  std::atomic<int64_t> lead_in_reparsed_{0};
  std::atomic<int64_t> lead_in_chosen_{0};
  std::atomic<int64_t> timed_out_{0};
  std::atomic<int64_t> unparsed_{0};
  std::atomic<int64_t> null_words_{0};
};

}  // namespace camoe

#endif  // CAMOE_WORKER_POS_POS_TAGGER_H_
