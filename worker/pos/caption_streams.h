// The text side of CAMoE's three streams (docs/method.md, "Text streams"):
// the full caption (fusion) and, from its tagged nouns and verbs, the entity
// and action streams in the three sentence generation strategies: MUW (keep
// masks over the caption's tokens), AKWE (keyword token positions) and RKW
// (the keywords re-joined and tokenized as a sentence). Keywords are found
// by PosTagger on the cleaned caption and mapped onto the CLIP tokenizer's
// pieces (docs/pos.md, "From words to tokens"). Free functions; they are
// thread-safe because BpeTokenizer and PosTagger are. The caller owns both.
#ifndef CAMOE_WORKER_POS_CAPTION_STREAMS_H_
#define CAMOE_WORKER_POS_CAPTION_STREAMS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/pos/pos_tagger.h"
#include "worker/text/bpe_tokenizer.h"

namespace camoe {

struct CaptionStreams {
  // SOT, the caption's ids cut to max_words - 2, EOT, zeros up to max_words
  // (= BpeTokenizer::EncodeForModel(caption, max_words, /*pad=*/true)).
  std::vector<int32_t> tokens;
  // MUW attention keep masks over `tokens`: 1 at SOT, at EOT and at every
  // token of the stream's keywords; 0 elsewhere, padding included.
  std::vector<uint8_t> entity_keep;
  std::vector<uint8_t> action_keep;
  // AKWE: indices into `tokens` of the keywords' tokens, increasing.
  std::vector<int32_t> entity_positions;
  std::vector<int32_t> action_positions;
  // RKW: the keywords joined by spaces in caption order and encoded as a new
  // sentence (SOT ... EOT, zero-padded to max_words).
  std::vector<int32_t> entity_sentence;
  std::vector<int32_t> action_sentence;
  // False when the stream has no keyword: the model leaves the caption out of
  // that stream's loss (and counts it) instead of encoding an empty sentence.
  bool has_entity = false;
  bool has_action = false;
  // The keywords (tokenizer pieces), in caption order. A keyword counts only
  // if all its tokens survive truncation to max_words.
  std::vector<std::string> entity_words;
  std::vector<std::string> action_words;
};

// A tokenizer piece (BpeTokenizer::Piece) with its tag.
struct TaggedPiece {
  std::string text;
  std::vector<int32_t> ids;
  int first_token = 0;  // Index of ids[0] in Encode()'s output.
  PosTag tag = PosTag::kOther;
};

// Counters over BuildCaptionStreamsBatch calls (the caller owns and sums them).
struct StreamCounts {
  int64_t captions = 0;
  int64_t without_entity = 0;  // has_entity == false
  int64_t without_action = 0;  // has_action == false
  int64_t used_lead_in = 0;    // tagged with the fragment lead-in
  int64_t timed_out = 0;       // a sentence hit the parse time limit
};

// Tags of `pieces` (from EncodeWithWords on a caption whose CleanCaption is
// `cleaned`), from `tags` (PosTagger::Tag(cleaned)): a piece is NOUN or VERB
// when keyword spans of that tag cover more than half of its bytes and it
// has a letter; else OTHER. Internal if a piece is not found in `cleaned`.
absl::StatusOr<std::vector<PosTag>> AlignTagsToPieces(
    std::string_view cleaned, const std::vector<BpeTokenizer::Piece>& pieces,
    const TaggedText& tags);

// The caption's pieces with their tags. InvalidArgument for invalid UTF-8.
absl::StatusOr<std::vector<TaggedPiece>> TagPieces(const BpeTokenizer& tokenizer, PosTagger& tagger,
                                                   std::string_view caption);

// InvalidArgument for invalid UTF-8 or max_words < 3.
absl::StatusOr<CaptionStreams> BuildCaptionStreams(const BpeTokenizer& tokenizer, PosTagger& tagger,
                                                   std::string_view caption, int max_words);

// BuildCaptionStreams for each caption on `threads` threads (<= 0: one per
// core), results in input order; adds to `counts` if not null. The first
// failing caption's error, naming its index, fails the batch.
absl::StatusOr<std::vector<CaptionStreams>> BuildCaptionStreamsBatch(
    const BpeTokenizer& tokenizer, PosTagger& tagger, const std::vector<std::string>& captions,
    int max_words, int threads, StreamCounts* counts);

}  // namespace camoe

#endif  // CAMOE_WORKER_POS_CAPTION_STREAMS_H_
