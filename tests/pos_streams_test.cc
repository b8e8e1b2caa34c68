// CAMoE's text streams (worker/pos/caption_streams.h) with the real tokenizer
// and tagger: tokens, MUW keep masks, AKWE positions, RKW sentences, keywords
// of several BPE tokens, contractions, truncation, captions without keywords
// and the batch helper.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/pos/caption_streams.h"

namespace camoe {
namespace {

class CaptionStreamsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string vocab = testing::BpeVocabPath();
    if (vocab.empty()) return;
    auto tokenizer = BpeTokenizer::Load(vocab);
    if (tokenizer.ok()) tokenizer_ = std::move(*tokenizer).release();
    auto tagger = PosTagger::Create();
    if (tagger.ok()) tagger_ = std::move(*tagger).release();
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete tagger_;
    tokenizer_ = nullptr;
    tagger_ = nullptr;
  }
  void SetUp() override {
    if (tokenizer_ == nullptr) {
      GTEST_SKIP() << "the BPE merges are missing: run scripts/fetch-assets.sh build/assets "
                      "(or provide ../shared/assets/clip/bpe_simple_vocab_16e6.txt.gz)";
    }
    if (tagger_ == nullptr) GTEST_SKIP() << "link-grammar's English dictionary is missing";
  }

  CaptionStreams Build(const std::string& caption, int max_words = 32) {
    auto streams = BuildCaptionStreams(*tokenizer_, *tagger_, caption, max_words);
    EXPECT_TRUE(streams.ok()) << streams.status();
    return streams.ok() ? *std::move(streams) : CaptionStreams{};
  }

  // The ids of `word` as the tokenizer encodes it alone.
  std::vector<int32_t> Ids(const std::string& word) { return *tokenizer_->Encode(word); }

  static BpeTokenizer* tokenizer_;
  static PosTagger* tagger_;
};

BpeTokenizer* CaptionStreamsTest::tokenizer_ = nullptr;
PosTagger* CaptionStreamsTest::tagger_ = nullptr;

std::vector<int32_t> Kept(const std::vector<uint8_t>& keep) {
  std::vector<int32_t> out;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) out.push_back(static_cast<int32_t>(i));
  }
  return out;
}

TEST_F(CaptionStreamsTest, TokensAreTheModelsEncoding) {
  for (const std::string caption :
       {"a man is playing guitar", "A Girl Does Skateboarding on a Trampoline!", "",
        "the man's dog isn't running"}) {
    const CaptionStreams s = Build(caption);
    EXPECT_EQ(s.tokens, *tokenizer_->EncodeForModel(caption, 32, /*pad=*/true)) << caption;
    EXPECT_EQ(s.entity_keep.size(), 32u);
    EXPECT_EQ(s.action_keep.size(), 32u);
    EXPECT_EQ(s.entity_sentence.size(), 32u);
    EXPECT_EQ(s.action_sentence.size(), 32u);
  }
}

TEST_F(CaptionStreamsTest, MasksKeepSotEotAndTheStreamsKeywordsOnly) {
  // a man is playing guitar: SOT a man is playing guitar EOT = positions 0..6.
  const CaptionStreams s = Build("a man is playing guitar");
  ASSERT_EQ(s.tokens[0], BpeTokenizer::kSotId);
  ASSERT_EQ(s.tokens[6], BpeTokenizer::kEotId);
  EXPECT_EQ(Kept(s.entity_keep), (std::vector<int32_t>{0, 2, 5, 6}));
  EXPECT_EQ(Kept(s.action_keep), (std::vector<int32_t>{0, 4, 6}));
  for (int i = 7; i < 32; ++i) {
    EXPECT_EQ(s.tokens[i], 0);
    EXPECT_EQ(s.entity_keep[i], 0) << "padding is masked";
    EXPECT_EQ(s.action_keep[i], 0);
  }
  EXPECT_EQ(s.entity_positions, (std::vector<int32_t>{2, 5}));
  EXPECT_EQ(s.action_positions, (std::vector<int32_t>{4}));
  EXPECT_EQ(s.entity_words, (std::vector<std::string>{"man", "guitar"}));
  EXPECT_EQ(s.action_words, (std::vector<std::string>{"playing"}));
  EXPECT_TRUE(s.has_entity);
  EXPECT_TRUE(s.has_action);
}

TEST_F(CaptionStreamsTest, RkwSentencesAreTheKeywordsReTokenized) {
  const CaptionStreams s = Build("a man is playing guitar");
  EXPECT_EQ(s.entity_sentence, *tokenizer_->EncodeForModel("man guitar", 32, true));
  EXPECT_EQ(s.action_sentence, *tokenizer_->EncodeForModel("playing", 32, true));
}

TEST_F(CaptionStreamsTest, KeywordsOfSeveralTokensKeepEveryToken) {
  // Common words such as "skateboarding" and "trampoline" are one CLIP token;
  // these are two and three.
  const std::string caption = "a girl is juggling beside a xylophone";
  const std::vector<int32_t> juggling = Ids("juggling");
  const std::vector<int32_t> xylophone = Ids("xylophone");
  ASSERT_EQ(juggling.size(), 2u);
  ASSERT_EQ(xylophone.size(), 3u);
  const CaptionStreams s = Build(caption);
  // SOT a girl is | jug gling | beside a | xy lo phone | EOT
  EXPECT_EQ(s.action_positions, (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(s.entity_positions, (std::vector<int32_t>{2, 8, 9, 10}));
  EXPECT_EQ(Kept(s.entity_keep), (std::vector<int32_t>{0, 2, 8, 9, 10, 11}));
  EXPECT_EQ(Kept(s.action_keep), (std::vector<int32_t>{0, 4, 5, 11}));
  EXPECT_EQ(s.tokens[11], BpeTokenizer::kEotId);
  for (size_t j = 0; j < xylophone.size(); ++j) EXPECT_EQ(s.tokens[8 + j], xylophone[j]);
  EXPECT_EQ(s.entity_words, (std::vector<std::string>{"girl", "xylophone"}));
  EXPECT_EQ(s.action_words, (std::vector<std::string>{"juggling"}));
  // A single-token word is one position.
  const CaptionStreams one = Build("a girl is skateboarding on a trampoline");
  EXPECT_EQ(one.action_positions, (std::vector<int32_t>{4}));
  EXPECT_EQ(one.entity_positions, (std::vector<int32_t>{2, 7}));
}

TEST_F(CaptionStreamsTest, ContractionsAndPunctuationAreNotKeywords) {
  const CaptionStreams s = Build("The man's dog isn't running, is it?");
  EXPECT_EQ(s.entity_words, (std::vector<std::string>{"man", "dog"}));
  EXPECT_EQ(s.action_words, (std::vector<std::string>{"running"}));
  auto pieces = TagPieces(*tokenizer_, *tagger_, "The man's dog isn't running, is it?");
  ASSERT_TRUE(pieces.ok());
  std::vector<std::string> rendered;
  for (const TaggedPiece& p : *pieces) rendered.push_back(p.text + "/" + PosTagName(p.tag));
  EXPECT_EQ(absl::StrJoin(rendered, " "),
            "the/OTHER man/NOUN 's/OTHER dog/NOUN isn/OTHER 't/OTHER running/VERB ,/OTHER "
            "is/OTHER it/OTHER ?/OTHER");
}

TEST_F(CaptionStreamsTest, ACaptionWithoutAStreamsKeywordsIsFlagged) {
  const CaptionStreams nouns_only = Build("a red car");
  EXPECT_TRUE(nouns_only.has_entity);
  EXPECT_FALSE(nouns_only.has_action);
  EXPECT_TRUE(nouns_only.action_positions.empty());
  EXPECT_EQ(Kept(nouns_only.action_keep), (std::vector<int32_t>{0, 4}));  // SOT, EOT
  EXPECT_EQ(nouns_only.action_sentence, *tokenizer_->EncodeForModel("", 32, true));

  const CaptionStreams none = Build("it is");
  EXPECT_FALSE(none.has_entity);
  EXPECT_FALSE(none.has_action);
  EXPECT_EQ(Kept(none.entity_keep), (std::vector<int32_t>{0, 3}));
}

TEST_F(CaptionStreamsTest, KeywordsTruncatedAwayDoNotCount) {
  // max_words 5: SOT a man is EOT; "playing" and "guitar" are cut.
  const CaptionStreams s = Build("a man is playing guitar", 5);
  EXPECT_EQ(s.tokens, *tokenizer_->EncodeForModel("a man is playing guitar", 5, true));
  EXPECT_EQ(s.tokens[4], BpeTokenizer::kEotId);
  EXPECT_EQ(s.entity_words, (std::vector<std::string>{"man"}));
  EXPECT_FALSE(s.has_action);
  EXPECT_EQ(Kept(s.entity_keep), (std::vector<int32_t>{0, 2, 4}));
  EXPECT_EQ(Kept(s.action_keep), (std::vector<int32_t>{0, 4}));

  // A keyword cut in the middle of its tokens does not count either:
  // SOT a girl is jug EOT ("gling" cut).
  const CaptionStreams cut = Build("a girl is juggling", 6);
  EXPECT_EQ(cut.entity_words, (std::vector<std::string>{"girl"}));
  EXPECT_FALSE(cut.has_action);
  EXPECT_EQ(Kept(cut.action_keep), (std::vector<int32_t>{0, 5}));
  const CaptionStreams whole = Build("a girl is juggling", 7);
  EXPECT_EQ(whole.action_words, (std::vector<std::string>{"juggling"}));
  EXPECT_EQ(Kept(whole.action_keep), (std::vector<int32_t>{0, 4, 5, 6}));
}

TEST_F(CaptionStreamsTest, RejectsBadInput) {
  EXPECT_EQ(BuildCaptionStreams(*tokenizer_, *tagger_, "a dog", 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCaptionStreams(*tokenizer_, *tagger_, "a \xff dog", 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CaptionStreamsTest, BatchMatchesOneByOneAndCounts) {
  const std::vector<std::string> captions = {"a man is playing guitar", "people dancing at a party",
                                             "a red car", "it is", "a man is playing guitar"};
  StreamCounts counts;
  auto batch = BuildCaptionStreamsBatch(*tokenizer_, *tagger_, captions, 32, 3, &counts);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), captions.size());
  for (size_t i = 0; i < captions.size(); ++i) {
    const CaptionStreams one = Build(captions[i]);
    EXPECT_EQ((*batch)[i].tokens, one.tokens);
    EXPECT_EQ((*batch)[i].entity_keep, one.entity_keep);
    EXPECT_EQ((*batch)[i].action_positions, one.action_positions);
  }
  EXPECT_EQ(counts.captions, 5);
  EXPECT_EQ(counts.without_entity, 1);  // "it is"
  EXPECT_EQ(counts.without_action, 2);  // "a red car", "it is"
  EXPECT_EQ(counts.used_lead_in, 1);    // "people dancing at a party"
  EXPECT_EQ(counts.timed_out, 0);

  const std::vector<std::string> bad = {"a dog", "a \xff dog"};
  auto failed = BuildCaptionStreamsBatch(*tokenizer_, *tagger_, bad, 32, 2, nullptr);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(failed.status().message().find("caption 1"), std::string::npos);
}

}  // namespace
}  // namespace camoe
