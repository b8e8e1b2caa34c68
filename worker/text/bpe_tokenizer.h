// CLIP's byte-level BPE tokenizer, equal to OpenAI's SimpleTokenizer: text is
// cleaned (CleanCaption), split into words (SplitWords), and each word's UTF-8
// bytes are BPE-merged with the ranks of bpe_simple_vocab_16e6.txt into ids
// of a 49,408-entry vocabulary. A loaded tokenizer is immutable except for
// its internal word cache, which is synchronised: every method may be called
// from any number of threads at once. Callers own the tokenizer via the
// unique_ptr that Load returns. See docs/tokenizer.md.
#ifndef CAMOE_WORKER_TEXT_BPE_TOKENIZER_H_
#define CAMOE_WORKER_TEXT_BPE_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "worker/text/bpe_word_cache.h"

namespace camoe {

class BpeTokenizer {
 public:
  static constexpr int32_t kSotId = 49406;  // "<|startoftext|>"
  static constexpr int32_t kEotId = 49407;  // "<|endoftext|>"
  static constexpr int32_t kPadId = 0;
  static constexpr int32_t kVocabSize = 49408;
  // 49152 - 256 - 2: the merges OpenAI takes from the file (lines 1..48894).
  static constexpr int kNumMerges = 48894;

  // One pre-token ("word") of a caption and the ids it encodes to.
  struct Piece {
    std::string text;          // The word as it appears in the cleaned text.
    std::vector<int32_t> ids;  // Its BPE ids (at least one).
    int first_token = 0;       // Index of ids[0] in Encode()'s output; add 1
                               // for EncodeForModel (SOT comes first).
  };

  // Reads `merges_path` (bpe_simple_vocab_16e6.txt or .txt.gz). NotFound if
  // it is missing; DataLoss naming the file and line if it is truncated or
  // malformed.
  static absl::StatusOr<std::unique_ptr<BpeTokenizer>> Load(const std::string& merges_path);

  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  // The BPE ids of `text`, without SOT/EOT. InvalidArgument if `text` is not
  // valid UTF-8.
  absl::StatusOr<std::vector<int32_t>> Encode(std::string_view text) const;

  // SOT, Encode(text) cut to max_words - 2 ids, EOT (always kept); then, if
  // `pad`, kPadId up to exactly max_words ids. REQUIRES: max_words >= 2
  // (InvalidArgument otherwise).
  absl::StatusOr<std::vector<int32_t>> EncodeForModel(std::string_view text, int max_words,
                                                      bool pad) const;

  // Encode, grouped by word, so callers can map words (e.g. tagged nouns and
  // verbs) to token positions. Concatenating the pieces' ids gives Encode().
  absl::StatusOr<std::vector<Piece>> EncodeWithWords(std::string_view text) const;

  // OpenAI's decode: the ids' byte strings joined, decoded as UTF-8 with
  // U+FFFD for bad sequences, every "</w>" replaced by a space. Like OpenAI's,
  // it decodes SOT/EOT as their names and kPadId as "!" (strip padding
  // first); ids outside the vocabulary become U+FFFD.
  std::string Decode(const std::vector<int32_t>& ids) const;

 private:
  BpeTokenizer();

  // Appends the ids of one pre-token.
  void AppendWordIds(std::string_view word, std::vector<int32_t>* ids) const;
  // The BPE merge loop for one word (uncached).
  std::vector<int32_t> MergeWord(std::string_view word) const;

  struct Merge {
    int32_t rank;    // Lower merges first.
    int32_t merged;  // The id of the joined symbol.
  };
  // (left id << 32 | right id) -> merge.
  absl::flat_hash_map<uint64_t, Merge> merges_;
  // Id -> raw bytes, "</w>" kept literally (what Decode joins).
  std::vector<std::string> decoder_;
  // Byte value -> id of its single-byte symbol (ids 0..255; +256 is the
  // same byte with "</w>").
  int32_t byte_ids_[256] = {};
  mutable BpeWordCache cache_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_BPE_TOKENIZER_H_
