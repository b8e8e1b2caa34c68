// The tagging rules (worker/pos/word_class.h) on hand-made link-grammar words,
// and the mapping of keyword spans onto tokenizer pieces; no dictionary needed.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "worker/pos/caption_streams.h"
#include "worker/pos/word_class.h"

namespace camoe {
namespace {

LgWord Word(const std::string& base, const std::string& subscript,
            std::vector<std::string> connectors) {
  LgWord w;
  w.base = base;
  w.subscript = subscript;
  w.display = subscript.empty() ? base : base + "." + subscript;
  w.connectors = std::move(connectors);
  return w;
}

TEST(SubscriptClassTest, MapsLinkGrammarSubscripts) {
  EXPECT_EQ(ClassifySubscript("n"), SubscriptClass::kNoun);
  EXPECT_EQ(ClassifySubscript("n-u"), SubscriptClass::kNoun);
  EXPECT_EQ(ClassifySubscript("p"), SubscriptClass::kNoun);  // "men.p" (also "for.p")
  EXPECT_EQ(ClassifySubscript("s"), SubscriptClass::kNoun);
  EXPECT_EQ(ClassifySubscript("m"), SubscriptClass::kNoun);  // given names
  EXPECT_EQ(ClassifySubscript("v"), SubscriptClass::kVerb);
  EXPECT_EQ(ClassifySubscript("v-d"), SubscriptClass::kVerb);
  EXPECT_EQ(ClassifySubscript("g"), SubscriptClass::kGerund);
  EXPECT_EQ(ClassifySubscript("a"), SubscriptClass::kAdjective);
  EXPECT_EQ(ClassifySubscript("i"), SubscriptClass::kMeasure);
  EXPECT_EQ(ClassifySubscript("e"), SubscriptClass::kNone);
  EXPECT_EQ(ClassifySubscript("d"), SubscriptClass::kMeasure);  // "group.d", "only.d"
  EXPECT_EQ(ClassifySubscript(""), SubscriptClass::kNone);
}

TEST(ClassifyLinkedWordTest, NounsAndVerbsBySubscript) {
  EXPECT_EQ(ClassifyLinkedWord(Word("man", "n", {"Ds**c-", "Wd-", "Ss*s+"}), false), PosTag::kNoun);
  EXPECT_EQ(ClassifyLinkedWord(Word("plays", "v", {"Ss-", "dWV-", "O+"}), false), PosTag::kVerb);
  EXPECT_EQ(ClassifyLinkedWord(Word("ran", "v-d", {"Ss-", "dWV-"}), false), PosTag::kVerb);
  EXPECT_EQ(ClassifyLinkedWord(Word("striped", "a", {"A+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("quickly", "e", {"MVa-"}), false), PosTag::kOther);
}

TEST(ClassifyLinkedWordTest, AuxiliariesAndCopulasAreNotActions) {
  EXPECT_EQ(ClassifyLinkedWord(Word("is", "v", {"Ss-", "dWV-", "Pg*b+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("are", "v", {"Spx-", "dWV-", "O*t+"}), false), PosTag::kOther);
  // Perfect "has eaten" vs possession "has a dog".
  EXPECT_EQ(ClassifyLinkedWord(Word("has", "v", {"Ss-", "PP+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("has", "v", {"Ss-", "dWV-", "O+"}), false), PosTag::kVerb);
  // do-support vs "does gymnastics".
  EXPECT_EQ(ClassifyLinkedWord(Word("does", "v", {"Ss-", "N+", "I*d+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("does", "v", {"Ss-", "dWV-", "O+"}), false), PosTag::kVerb);
  EXPECT_EQ(ClassifyLinkedWord(Word("can", "v", {"Ss-", "I+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("can", "n", {"Ds-", "Os-"}), false), PosTag::kNoun);
}

TEST(ClassifyLinkedWordTest, FunctionWordsAreNeverKeywords) {
  EXPECT_EQ(ClassifyLinkedWord(Word("their", "p", {"D+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("for", "p", {"MVp-", "J+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("someone", "", {"Wd-", "Ss+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("including", "v", {"Mg-", "O+"}), true), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("5", "", {"Dmcn+"}), false), PosTag::kOther);
}

TEST(ClassifyLinkedWordTest, IngFormsFollowTheirLinksNotTheirSubscript) {
  // Note [-ing forms]: "is cooking" may come back as .v, .g or .n-u.
  EXPECT_EQ(ClassifyLinkedWord(Word("cooking", "v", {"Pg-", "O+"}), true), PosTag::kVerb);
  EXPECT_EQ(ClassifyLinkedWord(Word("cooking", "g", {"Os-"}), true), PosTag::kVerb);
  EXPECT_EQ(ClassifyLinkedWord(Word("cooking", "n-u", {"Ou-"}), true), PosTag::kVerb);
  // "people dancing": a participle modifying a noun is an action.
  EXPECT_EQ(ClassifyLinkedWord(Word("dancing", "v", {"Mg-", "@MV+"}), true), PosTag::kVerb);
  // Note [Attributive]: "a swimming pool", "stainless steel cooking pot".
  EXPECT_EQ(ClassifyLinkedWord(Word("swimming", "g", {"A+"}), true), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("cooking", "n-u", {"@AN-", "@A-", "AN+"}), true),
            PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("wrestling", "n-u", {"PHc-", "AN+"}), true), PosTag::kOther);
  // With a determiner or an adjective it heads a noun phrase: "the making of".
  EXPECT_EQ(ClassifyLinkedWord(Word("making", "g", {"Dmu-", "J-", "@M+"}), true), PosTag::kNoun);
  // Not an -ing form: "a ring" stays a noun whatever its links.
  EXPECT_EQ(ClassifyLinkedWord(Word("ring", "n", {"Os-"}), false), PosTag::kNoun);
}

TEST(ClassifyLinkedWordTest, AttributiveParticiplesAreNotActions) {
  EXPECT_EQ(ClassifyLinkedWord(Word("caged", "v-d", {"A+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("surrounded", "v-d", {"Mv-", "@MV+"}), false), PosTag::kVerb);
}

TEST(ClassifyLinkedWordTest, QuantitiesIdiomsAndNames) {
  // "a lot of", "a couple of": OFd+ to "of".
  EXPECT_EQ(ClassifyLinkedWord(Word("couple", "n", {"D-", "OFd+", "Dm+"}), false), PosTag::kOther);
  // "in front of" linked as an idiom.
  EXPECT_EQ(ClassifyLinkedWord(Word("front", "", {"_IBJD-", "_IBJC+"}), false), PosTag::kOther);
  // Capitalised guesses in a proper name ("George Bernard Shaw[!]").
  LgWord shaw = Word("Shaw", "", {"G-", "dSJls+"});
  shaw.is_guess = true;
  EXPECT_EQ(ClassifyLinkedWord(shaw, false), PosTag::kNoun);
  // Measure nouns (.i) need a noun's links.
  EXPECT_EQ(ClassifyLinkedWord(Word("hour", "i", {"Ds-", "Js-"}), false), PosTag::kNoun);
  EXPECT_EQ(ClassifyLinkedWord(Word("now", "i", {"MVa-"}), false), PosTag::kOther);
  // Quantity nouns: "a group of people" vs "a rock group".
  EXPECT_EQ(ClassifyLinkedWord(Word("group", "d", {"D-", "OFd+", "Dm+"}), false), PosTag::kOther);
  EXPECT_EQ(ClassifyLinkedWord(Word("group", "d", {"AN+"}), false), PosTag::kNoun);
  EXPECT_EQ(ClassifyLinkedWord(Word("only", "d", {"E+"}), false), PosTag::kOther);
}

TEST(ClassifyNullWordTest, UsesEveryDictionaryEntry) {
  EXPECT_EQ(ClassifyNullWord("roof", {"n"}, false), PosTag::kNoun);
  EXPECT_EQ(ClassifyNullWord("person", {"_I", "n"}, false), PosTag::kNoun);  // "in_person"
  EXPECT_EQ(ClassifyNullWord("eat", {"v"}, false), PosTag::kVerb);
  EXPECT_EQ(ClassifyNullWord("dancing", {"g", "n-u", "v"}, true), PosTag::kVerb);
  EXPECT_EQ(ClassifyNullWord("man", {"ij", "n", "v"}, false), PosTag::kOther);
  EXPECT_EQ(ClassifyNullWord("someone", {""}, false), PosTag::kOther);
  EXPECT_EQ(ClassifyNullWord("walkking", {}, false), PosTag::kOther);  // unknown
  EXPECT_EQ(ClassifyNullWord("the", {"", "_I"}, false), PosTag::kOther);
  EXPECT_EQ(ClassifyNullWord("t", {"eq"}, false), PosTag::kOther);  // a letter only
}

TEST(LeadInTest, ClassifiesHowTheLeadInLinks) {
  EXPECT_EQ(ClassifyLeadInWord(Word("see", "v", {"Sp-", "dWV-", "O+", "@MV+"})),
            LeadInLinks::kObject);
  EXPECT_EQ(ClassifyLeadInWord(Word("see", "v", {"Sp-", "dWV-", "O+", "Pg+"})),
            LeadInLinks::kSmallClause);
  EXPECT_EQ(ClassifyLeadInWord(Word("see", "v", {"O+", "dVJlp+"})), LeadInLinks::kRearranged);
  LgWord null_word = Word("see", "", {});
  null_word.is_null = true;
  EXPECT_EQ(ClassifyLeadInWord(null_word), LeadInLinks::kRearranged);
  EXPECT_TRUE(HasSubjectLink(Word("man", "n", {"Ds**c-", "Wd-", "Ss*s+"})));
  EXPECT_FALSE(HasSubjectLink(Word("man", "n", {"hSJls-", "Os-"})));  // SJ is a conjunction
}

TEST(PrepareForLinkGrammarTest, KeepsEveryByteOffset) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"A Girl Does Skateboarding", "a girl does skateboarding"},
      {"i think i ll paddle", "I think I'll paddle"},
      {"a man s outfit", "a man's outfit"},
      {"it s a dog", "it's a dog"},
      {"he don t care", "he don't care"},
      {"i m here", "I'm here"},
      {"we re done", "we're done"},
      {"a t shirt", "a t shirt"},    // not a contraction
      {"iris and i", "iris and I"},  // only the word "i"
      {"s is a letter", "s is a letter"},
  };
  for (const auto& [input, want] : cases) {
    const std::string got = PrepareForLinkGrammar(input);
    EXPECT_EQ(got, want) << input;
    EXPECT_EQ(got.size(), input.size()) << input;
  }
}

BpeTokenizer::Piece Piece(const std::string& text, int first_token, int n_ids = 1) {
  BpeTokenizer::Piece p;
  p.text = text;
  p.ids.assign(n_ids, 1000);
  p.first_token = first_token;
  return p;
}

TEST(AlignTagsToPiecesTest, MapsSpansOntoTokenizerPieces) {
  // "the man's t-shirt, 5 dogs": link-grammar words man [4,7] 's [7,9],
  // t-shirt [10,17], dogs [21,25]; CLIP pieces split "'s", "-", ",".
  const std::string cleaned = "the man's t-shirt, 5 dogs";
  std::vector<BpeTokenizer::Piece> pieces = {Piece("the", 0), Piece("man", 1), Piece("'s", 2),
                                             Piece("t", 3),   Piece("-", 4),   Piece("shirt", 5),
                                             Piece(",", 6),   Piece("5", 7),   Piece("dogs", 8)};
  TaggedText tags;
  tags.keywords = {{4, 7, PosTag::kNoun}, {10, 17, PosTag::kNoun}, {21, 25, PosTag::kNoun}};
  auto got = AlignTagsToPieces(cleaned, pieces, tags);
  ASSERT_TRUE(got.ok()) << got.status();
  const std::vector<PosTag> want = {PosTag::kOther, PosTag::kNoun,  PosTag::kOther,
                                    PosTag::kNoun,  PosTag::kOther, PosTag::kNoun,
                                    PosTag::kOther, PosTag::kOther, PosTag::kNoun};
  EXPECT_EQ(*got, want);
}

TEST(AlignTagsToPiecesTest, NeedsMoreThanHalfAPieceCovered) {
  // link-grammar split "cannot" as "can" (verb span, 3 of 6 bytes) + "not".
  const std::string cleaned = "cannot";
  TaggedText tags;
  tags.keywords = {{0, 3, PosTag::kVerb}};
  auto got = AlignTagsToPieces(cleaned, {Piece("cannot", 0, 2)}, tags);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], PosTag::kOther);
  tags.keywords = {{0, 4, PosTag::kVerb}};
  got = AlignTagsToPieces(cleaned, {Piece("cannot", 0, 2)}, tags);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)[0], PosTag::kVerb);
}

TEST(AlignTagsToPiecesTest, APieceMissingFromTheTextIsAnInternalError) {
  auto got = AlignTagsToPieces("a dog", {Piece("a", 0), Piece("cat", 1)}, TaggedText{});
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(got.status().message().find("cat"), std::string::npos);
}

}  // namespace
}  // namespace camoe
