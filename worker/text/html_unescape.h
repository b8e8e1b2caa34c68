// HTML character reference decoding exactly as the two Python functions that
// CLIP's text cleaning calls: html.unescape (Python 3.11) and ftfy 6's
// fixes.unescape_html. Stateless, thread-safe functions over UTF-8 strings;
// their tables are generated from Python by scripts/gen_html_entities.py.
#ifndef CAMOE_WORKER_TEXT_HTML_UNESCAPE_H_
#define CAMOE_WORKER_TEXT_HTML_UNESCAPE_H_

#include <string>
#include <string_view>

namespace camoe {

// Python's html.unescape(text): every match of
// `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`, left to right, is
// replaced. Numeric references go through the windows-1252 fix-up table;
// surrogates and values above U+10FFFF become U+FFFD; noncharacters and most
// controls are dropped. A name is looked up whole (with its ';'), else its
// longest prefix of at least two characters that is a name (legacy names
// such as "amp" or "eacute" need no ';'), else it is left alone.
// REQUIRES: `text` is valid UTF-8.
std::string HtmlUnescape(std::string_view text);

// ftfy's unescape_html: only matches of `&#?[0-9A-Za-z]{1,24};` are replaced:
// names found in the html5 table (with ';') or in ftfy's upper-case variants
// (&EACUTE; -> E with acute), and numeric references that html.unescape
// decodes completely (one whose result still has a ';' is left alone).
// REQUIRES: `text` is valid UTF-8.
std::string FtfyUnescapeHtml(std::string_view text);

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_HTML_UNESCAPE_H_
