// CLIP's caption cleaning, re-implemented without Python: OpenAI's
// SimpleTokenizer runs whitespace_clean(basic_clean(text)).lower(), where
// basic_clean is ftfy.fix_text, html.unescape twice and strip. FixText is the
// documented subset of ftfy 6's fix_text that matters for captions (no
// mojibake repair; see docs/tokenizer.md). Stateless, thread-safe functions
// over UTF-8 strings (ICU does the Unicode normalisation and case mapping).
#ifndef CAMOE_WORKER_TEXT_TEXT_CLEAN_H_
#define CAMOE_WORKER_TEXT_TEXT_CLEAN_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace camoe {

// The cleaned, lower-cased text that CLIP pre-tokenises:
//   FixText -> HtmlUnescape twice -> strip -> collapse whitespace runs to ' '
//   -> full Unicode lower-casing (root locale, final sigma included).
// InvalidArgument (with the byte offset) if `text` is not valid UTF-8.
absl::StatusOr<std::string> CleanCaption(std::string_view text);

// ftfy 6's fix_text, limited to these fixers, in ftfy's order and repeated
// until nothing changes, line by line:
//   unescape_html (only until a line containing '<' is seen), fix_c1_controls,
//   fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks,
//   remove_terminal_escapes, remove_control_chars, NFC.
// REQUIRES: `text` is valid UTF-8.
std::string FixText(std::string_view text);

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_TEXT_CLEAN_H_
