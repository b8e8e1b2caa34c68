// Python's html.unescape and ftfy's unescape_html, case by case. Every
// expected value was printed by Python 3.11 (html.unescape) or by ftfy's
// algorithm as tests/reference/clip_tokenizer_ref.py implements it.
#include "worker/text/html_unescape.h"

#include <string>

#include "gtest/gtest.h"

namespace camoe {
namespace {

TEST(HtmlUnescapeTest, LeavesTextWithoutAmpersandAlone) {
  EXPECT_EQ(HtmlUnescape(""), "");
  EXPECT_EQ(HtmlUnescape("a dog runs; caf\xC3\xA9 <b>"), "a dog runs; caf\xC3\xA9 <b>");
}

TEST(HtmlUnescapeTest, DecodesNamedReferencesOnce) {
  EXPECT_EQ(HtmlUnescape("Tom &amp; Jerry"), "Tom & Jerry");
  EXPECT_EQ(HtmlUnescape("&amp;amp;"), "&amp;");
  EXPECT_EQ(HtmlUnescape("&lt;b&gt;"), "<b>");
  EXPECT_EQ(HtmlUnescape("&notin;"), "\xE2\x88\x89");
  EXPECT_EQ(HtmlUnescape("&nbsp;"), "\xC2\xA0");
  EXPECT_EQ(HtmlUnescape("&AMP;"), "&");
  EXPECT_EQ(HtmlUnescape("&CounterClockwiseContourIntegral;"), "\xE2\x88\xB3");
  EXPECT_EQ(HtmlUnescape("&fjlig;"), "fj");  // Two-character value.
}

TEST(HtmlUnescapeTest, DecodesLegacyNamesWithoutSemicolonByLongestPrefix) {
  EXPECT_EQ(HtmlUnescape("&lt"), "<");
  EXPECT_EQ(HtmlUnescape("&ltx"), "<x");
  EXPECT_EQ(HtmlUnescape("&eacute"), "\xC3\xA9");
  EXPECT_EQ(HtmlUnescape("&eacutex"), "\xC3\xA9x");
  EXPECT_EQ(HtmlUnescape("&notit;"), "\xC2\xACit;");
  EXPECT_EQ(HtmlUnescape("&AMP"), "&");
  EXPECT_EQ(HtmlUnescape("&amp\xC3\xA9"), "&\xC3\xA9");
}

TEST(HtmlUnescapeTest, LeavesUnknownNamesAlone) {
  EXPECT_EQ(HtmlUnescape("&foo;"), "&foo;");
  EXPECT_EQ(HtmlUnescape("&Amp;"), "&Amp;");
  EXPECT_EQ(HtmlUnescape("&;"), "&;");
  EXPECT_EQ(HtmlUnescape("&#;"), "&#;");
  EXPECT_EQ(HtmlUnescape("&#x;"), "&#x;");
  EXPECT_EQ(HtmlUnescape("& amp;"), "& amp;");
  EXPECT_EQ(HtmlUnescape("&" + std::string(40, 'a') + ";"), "&" + std::string(40, 'a') + ";");
}

TEST(HtmlUnescapeTest, DecodesNumericReferencesWithOrWithoutSemicolon) {
  EXPECT_EQ(HtmlUnescape("it&#39;s"), "it's");
  EXPECT_EQ(HtmlUnescape("&#x27;"), "'");
  EXPECT_EQ(HtmlUnescape("&#X27"), "'");
  EXPECT_EQ(HtmlUnescape("&#65abc"), "Aabc");
  EXPECT_EQ(HtmlUnescape("&#x41g"), "Ag");
  EXPECT_EQ(HtmlUnescape("&#128512;"), "\xF0\x9F\x98\x80");
}

TEST(HtmlUnescapeTest, MapsInvalidNumericReferencesLikePython) {
  EXPECT_EQ(HtmlUnescape("&#0;"), "\xEF\xBF\xBD");
  EXPECT_EQ(HtmlUnescape("&#x110000;"), "\xEF\xBF\xBD");
  EXPECT_EQ(HtmlUnescape("&#99999999999999999999;"), "\xEF\xBF\xBD");  // No overflow.
  EXPECT_EQ(HtmlUnescape("&#xFFFFFFFFFFFFFFFFFFFF41;"), "\xEF\xBF\xBD");
  EXPECT_EQ(HtmlUnescape("&#xD800;"), "\xEF\xBF\xBD");
  EXPECT_EQ(HtmlUnescape("&#128;"), "\xE2\x82\xAC");  // windows-1252's euro sign.
  EXPECT_EQ(HtmlUnescape("&#x81;"), "\xC2\x81");
  EXPECT_EQ(HtmlUnescape("&#13;"), "\r");
  EXPECT_EQ(HtmlUnescape("a&#1;b"), "ab");  // Invalid code points are dropped.
  EXPECT_EQ(HtmlUnescape("a&#xFFFF;b"), "ab");
  EXPECT_EQ(HtmlUnescape("a&#x10FFFE;b"), "ab");
}

TEST(FtfyUnescapeHtmlTest, NeedsTheSemicolon) {
  EXPECT_EQ(FtfyUnescapeHtml("&amp;"), "&");
  EXPECT_EQ(FtfyUnescapeHtml("&amp;amp;"), "&amp;");
  EXPECT_EQ(FtfyUnescapeHtml("&lt"), "&lt");
  EXPECT_EQ(FtfyUnescapeHtml("&eacute"), "&eacute");
  EXPECT_EQ(FtfyUnescapeHtml("&#X27"), "&#X27");
  EXPECT_EQ(FtfyUnescapeHtml("&notit;"), "&notit;");
}

TEST(FtfyUnescapeHtmlTest, DecodesUpperCasedNames) {
  EXPECT_EQ(FtfyUnescapeHtml("&EACUTE;"), "\xC3\x89");
  EXPECT_EQ(FtfyUnescapeHtml("&NTILDE;"), "\xC3\x91");
  EXPECT_EQ(FtfyUnescapeHtml("&SZLIG;"), "SS");
  EXPECT_EQ(FtfyUnescapeHtml("&Amp;"), "&Amp;");
}

TEST(FtfyUnescapeHtmlTest, KeepsNumericReferencesThatDoNotDecodeWhole) {
  EXPECT_EQ(FtfyUnescapeHtml("&#39;"), "'");
  EXPECT_EQ(FtfyUnescapeHtml("&#x1F600;"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(FtfyUnescapeHtml("&#59;"), "&#59;");    // Decodes to ';'.
  EXPECT_EQ(FtfyUnescapeHtml("&#12a;"), "&#12a;");  // html.unescape leaves "a;".
  EXPECT_EQ(FtfyUnescapeHtml("&#0;"), "\xEF\xBF\xBD");
}

TEST(FtfyUnescapeHtmlTest, LimitsNamesTo24Characters) {
  const std::string long_name = "&" + std::string(25, 'a') + ";";
  EXPECT_EQ(FtfyUnescapeHtml(long_name), long_name);
  EXPECT_EQ(FtfyUnescapeHtml("&ThickSpace;"), "\xE2\x81\x9F\xE2\x80\x8A");
}

}  // namespace
}  // namespace camoe
