// CLIP's pre-tokeniser: splits cleaned text into the "words" that BPE then
// encodes one at a time. A hand-written scanner (no std::regex) equivalent to
// OpenAI's regex.findall with
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|
//   [\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// and re.IGNORECASE. Stateless, thread-safe functions (ICU supplies the
// general categories).
#ifndef CAMOE_WORKER_TEXT_PRETOKENIZER_H_
#define CAMOE_WORKER_TEXT_PRETOKENIZER_H_

#include <string_view>
#include <vector>

namespace camoe {

// The matches of CLIP's pattern in `text`, left to right, as views into
// `text`. Characters that no alternative matches (whitespace, and U+0345, see
// Note [IGNORECASE] in pretokenizer.cc) are skipped. Expects the output of
// CleanCaption (lower-cased), but is defined for any valid UTF-8.
// REQUIRES: `text` is valid UTF-8.
std::vector<std::string_view> SplitWords(std::string_view text);

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_PRETOKENIZER_H_
