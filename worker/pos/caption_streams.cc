#include "worker/pos/caption_streams.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "worker/text/text_clean.h"

namespace camoe {
namespace {

bool HasLetter(std::string_view text) {
  for (unsigned char c : text) {
    if (std::isalpha(c) || c >= 0x80) return true;
  }
  return false;
}

// One stream's MUW mask, AKWE positions and words.
void FillStream(const std::vector<TaggedPiece>& pieces, PosTag stream, int body, int max_words,
                std::vector<uint8_t>* keep, std::vector<int32_t>* positions,
                std::vector<std::string>* words) {
  keep->assign(max_words, 0);
  int total_ids = 0;
  for (const TaggedPiece& p : pieces) total_ids += static_cast<int>(p.ids.size());
  (*keep)[0] = 1;                              // SOT
  (*keep)[1 + std::min(total_ids, body)] = 1;  // EOT
  for (const TaggedPiece& p : pieces) {
    const int n = static_cast<int>(p.ids.size());
    if (p.tag != stream || p.first_token + n > body) continue;
    for (int j = 0; j < n; ++j) {
      const int position = 1 + p.first_token + j;  // +1: SOT comes first.
      (*keep)[position] = 1;
      positions->push_back(position);
    }
    words->push_back(p.text);
  }
}

}  // namespace

absl::StatusOr<std::vector<PosTag>> AlignTagsToPieces(
    std::string_view cleaned, const std::vector<BpeTokenizer::Piece>& pieces,
    const TaggedText& tags) {
  std::vector<PosTag> out;
  out.reserve(pieces.size());
  size_t cursor = 0;
  size_t k = 0;  // First keyword that may overlap the current piece.
  for (const BpeTokenizer::Piece& piece : pieces) {
    // Pieces are substrings of the cleaned text in order, with only
    // whitespace between them (docs/tokenizer.md, step 6).
    const size_t begin = cleaned.find(piece.text, cursor);
    if (piece.text.empty() || begin == std::string_view::npos) {
      return absl::InternalError(absl::StrCat(
          "tokenizer piece '", piece.text, "' not found in the cleaned caption '",
          std::string(cleaned), "' after byte ", cursor,
          "; EncodeWithWords and CleanCaption disagree (a tokenizer bug: please report it)"));
    }
    const size_t end = begin + piece.text.size();
    cursor = end;
    while (k < tags.keywords.size() && static_cast<size_t>(tags.keywords[k].end) <= begin) ++k;
    size_t noun = 0;
    size_t verb = 0;
    for (size_t i = k; i < tags.keywords.size(); ++i) {
      const KeywordSpan& span = tags.keywords[i];
      if (static_cast<size_t>(span.begin) >= end) break;
      const size_t overlap = std::min<size_t>(end, span.end) - std::max<size_t>(begin, span.begin);
      (span.tag == PosTag::kNoun ? noun : verb) += overlap;
    }
    PosTag tag = PosTag::kOther;
    if (HasLetter(piece.text)) {
      if (2 * noun > piece.text.size()) {
        tag = PosTag::kNoun;
      } else if (2 * verb > piece.text.size()) {
        tag = PosTag::kVerb;
      }
    }
    out.push_back(tag);
  }
  return out;
}

namespace {

// TagPieces, also handing back the caption's TaggedText (for the counters).
absl::StatusOr<std::vector<TaggedPiece>> TagPiecesImpl(const BpeTokenizer& tokenizer,
                                                       PosTagger& tagger, std::string_view caption,
                                                       TaggedText* tags_out) {
  // The pieces come from the caption itself, not from `cleaned`, so that the
  // ids are exactly EncodeForModel's (cleaning twice is not always a no-op).
  CAMOE_ASSIGN_OR_RETURN(std::string cleaned, CleanCaption(caption));
  CAMOE_ASSIGN_OR_RETURN(std::vector<BpeTokenizer::Piece> pieces,
                         tokenizer.EncodeWithWords(caption));
  TaggedText tags = tagger.Tag(cleaned);
  CAMOE_ASSIGN_OR_RETURN(std::vector<PosTag> piece_tags, AlignTagsToPieces(cleaned, pieces, tags));
  if (tags_out != nullptr) *tags_out = std::move(tags);
  std::vector<TaggedPiece> out(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    out[i].text = std::move(pieces[i].text);
    out[i].ids = std::move(pieces[i].ids);
    out[i].first_token = pieces[i].first_token;
    out[i].tag = piece_tags[i];
  }
  return out;
}

absl::StatusOr<CaptionStreams> BuildCaptionStreamsImpl(const BpeTokenizer& tokenizer,
                                                       PosTagger& tagger, std::string_view caption,
                                                       int max_words, TaggedText* tags) {
  if (max_words < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_words must be at least 3 (SOT, one token, EOT), got ", max_words));
  }
  CAMOE_ASSIGN_OR_RETURN(std::vector<TaggedPiece> pieces,
                         TagPiecesImpl(tokenizer, tagger, caption, tags));
  const int body = max_words - 2;
  CaptionStreams s;
  s.tokens.reserve(max_words);
  s.tokens.push_back(BpeTokenizer::kSotId);
  for (const TaggedPiece& p : pieces) {
    for (int32_t id : p.ids) {
      if (static_cast<int>(s.tokens.size()) <= body) s.tokens.push_back(id);
    }
  }
  s.tokens.push_back(BpeTokenizer::kEotId);
  s.tokens.resize(max_words, BpeTokenizer::kPadId);
  FillStream(pieces, PosTag::kNoun, body, max_words, &s.entity_keep, &s.entity_positions,
             &s.entity_words);
  FillStream(pieces, PosTag::kVerb, body, max_words, &s.action_keep, &s.action_positions,
             &s.action_words);
  s.has_entity = !s.entity_words.empty();
  s.has_action = !s.action_words.empty();
  CAMOE_ASSIGN_OR_RETURN(s.entity_sentence,
                         tokenizer.EncodeForModel(absl::StrJoin(s.entity_words, " "), max_words,
                                                  /*pad=*/true));
  CAMOE_ASSIGN_OR_RETURN(s.action_sentence,
                         tokenizer.EncodeForModel(absl::StrJoin(s.action_words, " "), max_words,
                                                  /*pad=*/true));
  return s;
}

}  // namespace

absl::StatusOr<std::vector<TaggedPiece>> TagPieces(const BpeTokenizer& tokenizer, PosTagger& tagger,
                                                   std::string_view caption) {
  return TagPiecesImpl(tokenizer, tagger, caption, nullptr);
}

absl::StatusOr<CaptionStreams> BuildCaptionStreams(const BpeTokenizer& tokenizer, PosTagger& tagger,
                                                   std::string_view caption, int max_words) {
  return BuildCaptionStreamsImpl(tokenizer, tagger, caption, max_words, nullptr);
}

absl::StatusOr<std::vector<CaptionStreams>> BuildCaptionStreamsBatch(
    const BpeTokenizer& tokenizer, PosTagger& tagger, const std::vector<std::string>& captions,
    int max_words, int threads, StreamCounts* counts) {
  const size_t n = captions.size();
  std::vector<absl::StatusOr<CaptionStreams>> results(n, absl::UnknownError("not built"));
  std::vector<uint8_t> lead_in(n, 0);
  std::vector<uint8_t> timed_out(n, 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      TaggedText tags;
      results[i] = BuildCaptionStreamsImpl(tokenizer, tagger, captions[i], max_words, &tags);
      lead_in[i] = tags.used_lead_in;
      timed_out[i] = tags.timed_out;
    }
  };
  int workers = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::max(1, std::min<int>(workers, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  std::vector<CaptionStreams> out;
  out.reserve(n);
  StreamCounts local;
  for (size_t i = 0; i < n; ++i) {
    if (!results[i].ok()) {
      return absl::Status(results[i].status().code(),
                          absl::StrCat("caption ", i, ": ", results[i].status().message()));
    }
    out.push_back(*std::move(results[i]));
    ++local.captions;
    local.without_entity += out.back().has_entity ? 0 : 1;
    local.without_action += out.back().has_action ? 0 : 1;
    local.used_lead_in += lead_in[i];
    local.timed_out += timed_out[i];
  }
  if (counts != nullptr) {
    counts->captions += local.captions;
    counts->without_entity += local.without_entity;
    counts->without_action += local.without_action;
    counts->used_lead_in += local.used_lead_in;
    counts->timed_out += local.timed_out;
  }
  return out;
}

}  // namespace camoe
