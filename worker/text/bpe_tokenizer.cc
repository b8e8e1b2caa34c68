#include "worker/text/bpe_tokenizer.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "worker/text/pretokenizer.h"
#include "worker/text/text_clean.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

// Words the memo keeps (about 10 MB); MSR-VTT's captions use ~29k distinct.
constexpr size_t kWordCacheCapacity = size_t{1} << 17;

constexpr std::string_view kSot = "<|startoftext|>";
constexpr std::string_view kEot = "<|endoftext|>";
constexpr std::string_view kEndOfWord = "</w>";

// OpenAI's bytes_to_unicode order: the printable Latin-1 bytes ('!'..'~',
// U+00A1..U+00AC, U+00AE..U+00FF) stand for themselves and come first; the
// other 68 bytes follow in increasing order as U+0100, U+0101, ...
// Fills `order[id] = byte` and `chars[id] = the symbol's code point`.
void BytesToUnicode(int order[256], char32_t chars[256]) {
  bool printable[256] = {};
  int id = 0;
  for (int b = 0; b < 256; ++b) {
    printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    if (printable[b]) {
      order[id] = b;
      chars[id] = static_cast<char32_t>(b);
      ++id;
    }
  }
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    if (!printable[b]) {
      order[id] = b;
      chars[id] = next++;
      ++id;
    }
  }
}

bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Python's str.split() for the merges file: its symbols never contain a
// space, so ASCII whitespace is enough to separate them.
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && IsAsciiSpace(line[pos])) ++pos;
    const size_t start = pos;
    while (pos < line.size() && !IsAsciiSpace(line[pos])) ++pos;
    if (pos > start) fields.push_back(line.substr(start, pos - start));
  }
  return fields;
}

uint64_t PairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace

BpeTokenizer::BpeTokenizer() : cache_(kWordCacheCapacity) {}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> BpeTokenizer::Load(const std::string& merges_path) {
  absl::StatusOr<std::string> data = ReadMaybeGzipFile(merges_path);
  if (!data.ok()) {
    return Annotate(data.status(),
                    "cannot read CLIP's BPE merges (scripts/fetch-assets.sh fetches "
                    "bpe_simple_vocab_16e6.txt.gz)");
  }
  const auto malformed = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat("BPE merges file '", merges_path, "': ", what,
                                            "; expected OpenAI's bpe_simple_vocab_16e6.txt "
                                            "(re-run scripts/fetch-assets.sh)"));
  };
  if (absl::Status utf8 = ValidateUtf8(*data); !utf8.ok()) {
    return malformed(std::string(utf8.message()));
  }

  // Line 0 is a version header; lines 1..kNumMerges are "left right" merges
  // in rank order. Later lines (the file has ~262k) are not used by CLIP.
  std::vector<std::pair<std::string_view, std::string_view>> merge_parts;
  merge_parts.reserve(kNumMerges);
  {
    const std::string_view text(*data);
    size_t pos = text.find('\n');
    for (int line = 1; line <= kNumMerges; ++line) {
      if (pos == std::string_view::npos) {
        return malformed(absl::StrCat("only ", line - 1, " merge lines, CLIP needs ", kNumMerges,
                                      " (truncated file?)"));
      }
      const size_t start = pos + 1;
      pos = text.find('\n', start);
      const std::string_view content =
          text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
      std::vector<std::string_view> fields = SplitFields(content);
      if (fields.size() != 2) {
        return malformed(absl::StrCat("line ", line + 1, " has ", fields.size(),
                                      " fields, a merge needs exactly two: '",
                                      std::string(content.substr(0, 80)), "'"));
      }
      merge_parts.emplace_back(fields[0], fields[1]);
    }
  }

  auto tokenizer = std::unique_ptr<BpeTokenizer>(new BpeTokenizer());
  tokenizer->decoder_.resize(kVocabSize);
  absl::flat_hash_map<std::string, int32_t> encoder;
  encoder.reserve(kVocabSize);

  int byte_order[256];
  char32_t symbol_chars[256];
  BytesToUnicode(byte_order, symbol_chars);
  for (int32_t id = 0; id < 256; ++id) {
    std::string symbol;
    AppendUtf8(symbol_chars[id], &symbol);
    const std::string bytes(1, static_cast<char>(byte_order[id]));
    tokenizer->byte_ids_[byte_order[id]] = id;
    encoder[symbol] = id;
    encoder[symbol + std::string(kEndOfWord)] = id + 256;
    tokenizer->decoder_[id] = bytes;
    tokenizer->decoder_[id + 256] = bytes + std::string(kEndOfWord);
  }

  // Python builds its dicts with "last one wins", so a repeated joined
  // symbol or pair would take its last id or rank; the same holds here.
  for (int rank = 0; rank < kNumMerges; ++rank) {
    const auto& [left, right] = merge_parts[rank];
    const auto left_it = encoder.find(std::string(left));
    const auto right_it = encoder.find(std::string(right));
    if (left_it == encoder.end() || right_it == encoder.end()) {
      const std::string_view unknown = left_it == encoder.end() ? left : right;
      return malformed(absl::StrCat("line ", rank + 2, ": symbol '", std::string(unknown),
                                    "' is neither a byte nor the result of an earlier merge"));
    }
    const int32_t id = 512 + rank;
    tokenizer->decoder_[id] =
        tokenizer->decoder_[left_it->second] + tokenizer->decoder_[right_it->second];
    encoder.insert_or_assign(absl::StrCat(std::string(left), std::string(right)), id);
  }
  tokenizer->decoder_[kSotId] = std::string(kSot);
  tokenizer->decoder_[kEotId] = std::string(kEot);

  tokenizer->merges_.reserve(kNumMerges);
  for (int rank = 0; rank < kNumMerges; ++rank) {
    const auto& [left, right] = merge_parts[rank];
    const int32_t merged = encoder.at(absl::StrCat(std::string(left), std::string(right)));
    tokenizer->merges_.insert_or_assign(
        PairKey(encoder.at(std::string(left)), encoder.at(std::string(right))),
        Merge{rank, merged});
  }
  return tokenizer;
}

std::vector<int32_t> BpeTokenizer::MergeWord(std::string_view word) const {
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const int32_t id = byte_ids_[static_cast<unsigned char>(word[i])];
    symbols.push_back(i + 1 == word.size() ? id + 256 : id);  // The last one ends the word.
  }
  // Repeatedly merge the lowest-ranked adjacent pair, every non-overlapping
  // occurrence left to right, until no adjacent pair has a rank.
  while (symbols.size() > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    int32_t merged = 0;
    size_t best_at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = merges_.find(PairKey(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        merged = it->second.merged;
        best_at = i;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    const int32_t left = symbols[best_at];
    const int32_t right = symbols[best_at + 1];
    size_t out = 0;
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        symbols[out++] = merged;
        i += 2;
      } else {
        symbols[out++] = symbols[i++];
      }
    }
    symbols.resize(out);
  }
  return symbols;
}

void BpeTokenizer::AppendWordIds(std::string_view word, std::vector<int32_t>* ids) const {
  if (word == kSot) {
    ids->push_back(kSotId);
    return;
  }
  if (word == kEot) {
    ids->push_back(kEotId);
    return;
  }
  if (cache_.Lookup(word, ids)) return;
  std::vector<int32_t> merged = MergeWord(word);
  ids->insert(ids->end(), merged.begin(), merged.end());
  cache_.Insert(word, merged);
}

absl::StatusOr<std::vector<int32_t>> BpeTokenizer::Encode(std::string_view text) const {
  CAMOE_ASSIGN_OR_RETURN(const std::string cleaned, CleanCaption(text));
  std::vector<int32_t> ids;
  ids.reserve(cleaned.size() / 3 + 4);
  for (std::string_view word : SplitWords(cleaned)) AppendWordIds(word, &ids);
  return ids;
}

absl::StatusOr<std::vector<int32_t>> BpeTokenizer::EncodeForModel(std::string_view text,
                                                                  int max_words, bool pad) const {
  if (max_words < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_words must be at least 2 (room for <|startoftext|> and <|endoftext|>), got ",
        max_words));
  }
  CAMOE_ASSIGN_OR_RETURN(std::vector<int32_t> body, Encode(text));
  const size_t keep = std::min<size_t>(body.size(), static_cast<size_t>(max_words) - 2);
  std::vector<int32_t> ids;
  ids.reserve(max_words);
  ids.push_back(kSotId);
  ids.insert(ids.end(), body.begin(), body.begin() + keep);
  ids.push_back(kEotId);
  if (pad) ids.resize(max_words, kPadId);
  return ids;
}

absl::StatusOr<std::vector<BpeTokenizer::Piece>> BpeTokenizer::EncodeWithWords(
    std::string_view text) const {
  CAMOE_ASSIGN_OR_RETURN(const std::string cleaned, CleanCaption(text));
  std::vector<Piece> pieces;
  int position = 0;
  for (std::string_view word : SplitWords(cleaned)) {
    Piece piece;
    piece.text = std::string(word);
    piece.first_token = position;
    AppendWordIds(word, &piece.ids);
    position += static_cast<int>(piece.ids.size());
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

std::string BpeTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id >= 0 && id < kVocabSize) {
      bytes.append(decoder_[id]);
    } else {
      bytes.append("\xEF\xBF\xBD");
    }
  }
  std::string text = DecodeUtf8Lossy(bytes);
  absl::StrReplaceAll({{"</w>", " "}}, &text);
  return text;
}

}  // namespace camoe
