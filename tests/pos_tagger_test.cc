// PosTagger (worker/pos/pos_tagger.h) with link-grammar's English dictionary:
// the tagging rules on real parses, the fragment lead-in, the caches, many
// threads, the time limit and option errors.
#include "worker/pos/pos_tagger.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_paths.h"

namespace camoe {
namespace {

// "man/N playing/V guitar/N": the keywords of `text`, in order.
std::string Keywords(const std::string& text, const TaggedText& tags) {
  std::string out;
  for (const KeywordSpan& k : tags.keywords) {
    if (!out.empty()) out += ' ';
    out += text.substr(k.begin, k.end - k.begin) + (k.tag == PosTag::kNoun ? "/N" : "/V");
  }
  return out;
}

std::unique_ptr<PosTagger> MakeTagger(const PosTaggerOptions& options = {}) {
  auto tagger = PosTagger::Create(options);
  if (!tagger.ok()) {
    ADD_FAILURE() << tagger.status();
    return nullptr;
  }
  return *std::move(tagger);
}

class PosTaggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tagger = PosTagger::Create();
    if (tagger.status().code() == absl::StatusCode::kNotFound) {
      GTEST_SKIP() << "link-grammar's English dictionary is not installed: "
                   << tagger.status().message();
    }
    ASSERT_TRUE(tagger.ok()) << tagger.status();
    tagger_ = *std::move(tagger);
  }

  std::string Tag(const std::string& text) { return Keywords(text, tagger_->Tag(text)); }

  std::unique_ptr<PosTagger> tagger_;
};

TEST_F(PosTaggerTest, TagsNounsAsEntitiesAndVerbsAsActions) {
  EXPECT_EQ(Tag("a man is playing guitar"), "man/N playing/V guitar/N");
  EXPECT_EQ(Tag("the skateboarder fell off the skateboard"), "skateboarder/N fell/V skateboard/N");
  EXPECT_EQ(Tag("a man is going to cut the onion"), "man/N going/V cut/V onion/N");
}

TEST_F(PosTaggerTest, AuxiliariesPronounsAndFunctionWordsAreNotKeywords) {
  EXPECT_EQ(Tag("someone is slicing an onion"), "slicing/V onion/N");
  EXPECT_EQ(Tag("he has eaten the cake"), "eaten/V cake/N");
  EXPECT_EQ(Tag("a girl does not dance"), "girl/N dance/V");
  EXPECT_EQ(Tag("a man has a dog"), "man/N has/V dog/N");
}

TEST_F(PosTaggerTest, ParticiplesAndGerundsUsedAsVerbsAreActions) {
  EXPECT_EQ(Tag("a woman is singing"), "woman/N singing/V");
  EXPECT_EQ(Tag("a girl does skateboarding on a trampoline"),
            "girl/N does/V skateboarding/V trampoline/N");
  EXPECT_EQ(Tag("a man is talking about the making of the movie"),
            "man/N talking/V making/N movie/N");
  EXPECT_EQ(Tag("a police officer pulls a gun at a swimming pool"),
            "police/N officer/N pulls/V gun/N pool/N");
}

TEST_F(PosTaggerTest, ReparsesFragmentsBehindTheLeadIn) {
  // link-grammar alone reads "people" as an imperative verb.
  PosTaggerOptions no_lead_in;
  no_lead_in.lead_in = "";
  auto plain = MakeTagger(no_lead_in);
  ASSERT_NE(plain, nullptr);
  const std::string fragment = "people dancing at a party";
  EXPECT_EQ(Keywords(fragment, plain->Tag(fragment)), "people/V dancing/V party/N");

  const TaggedText tags = tagger_->Tag(fragment);
  EXPECT_EQ(Keywords(fragment, tags), "people/N dancing/V party/N");
  EXPECT_TRUE(tags.used_lead_in);
  EXPECT_EQ(Tag("a kid running on a track"), "kid/N running/V track/N");
  const PosTaggerStats stats = tagger_->stats();
  EXPECT_EQ(stats.lead_in_reparsed, 2);
  EXPECT_EQ(stats.lead_in_chosen, 2);
}

TEST_F(PosTaggerTest, KeepsAClauseTheLeadInWouldRearrange) {
  // "we see a cheetah is chasing prey" links "see" to "prey.v"; the clause's
  // own parse (with "prey" a null word) is kept.
  const TaggedText tags = tagger_->Tag("a cheetah is chasing prey");
  EXPECT_FALSE(tags.used_lead_in);
  EXPECT_EQ(tagger_->stats().lead_in_reparsed, 1);
  EXPECT_EQ(tagger_->stats().lead_in_chosen, 0);
  EXPECT_EQ(tagger_->stats().null_words, 1);
}

TEST_F(PosTaggerTest, HandlesCaptionSpellings) {
  EXPECT_EQ(Tag("A Girl Is Riding A Horse."), "Girl/N Riding/V Horse/N");
  EXPECT_EQ(Tag("a man s hat"), "man/N hat/N");  // Note [Split contractions]
  EXPECT_EQ(Tag("the man's dog isn't running"), "man/N dog/N running/V");
  EXPECT_EQ(Tag("alice is tumbling down some mushrooms"),  // Note [Names]
            "alice/N tumbling/V mushrooms/N");
  EXPECT_EQ(Tag("the men danced in front of an airplane"),  // Note [Complex prepositions]
            "men/N danced/V airplane/N");
  EXPECT_EQ(Tag("a man in a black t-shirt is talking"), "man/N t-shirt/N talking/V");
  EXPECT_EQ(Tag(""), "");
  EXPECT_EQ(Tag("  ...  "), "");
}

TEST_F(PosTaggerTest, TagsEverySentenceOfAParagraph) {
  EXPECT_EQ(Tag("A man walks in. He sits down! Then the dog barks?"),
            "man/N walks/V sits/V dog/N barks/V");
  EXPECT_EQ(tagger_->stats().sentences, 3);
}

TEST_F(PosTaggerTest, CutsLongSentencesIntoParts) {
  PosTaggerOptions options;
  options.max_sentence_words = 5;
  auto tagger = MakeTagger(options);
  ASSERT_NE(tagger, nullptr);
  tagger->Tag("a man is playing a guitar and a woman is singing a song loudly");
  EXPECT_EQ(tagger->stats().sentences, 3);
}

TEST_F(PosTaggerTest, TagsEachDistinctTextOnce) {
  const TaggedText first = tagger_->Tag("a dog is barking");
  const TaggedText second = tagger_->Tag("a dog is barking");
  EXPECT_EQ(first, second);
  tagger_->Tag("a cat is sleeping");
  const PosTaggerStats stats = tagger_->stats();
  EXPECT_EQ(stats.texts_tagged, 2);
  EXPECT_EQ(stats.cache_hits, 1);
  EXPECT_EQ(stats.sentences, 2);
  EXPECT_EQ(tagger_->cache().size(), 2u);
}

TEST_F(PosTaggerTest, DiskCacheIsReusedByANewTaggerOfTheSameVersion) {
  const std::vector<std::string> captions = {"a dog is barking", "people dancing at a party",
                                             "a man s hat"};
  std::vector<TaggedText> want;
  for (const std::string& c : captions) want.push_back(tagger_->Tag(c));
  const std::string path = testing::TempDir("pos_tagger") + "/tags.tsv";
  ASSERT_TRUE(tagger_->SaveCache(path).ok());

  auto fresh = MakeTagger();
  ASSERT_NE(fresh, nullptr);
  auto loaded = fresh->LoadCache(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->stale);
  EXPECT_EQ(loaded->loaded, captions.size());
  for (size_t i = 0; i < captions.size(); ++i) EXPECT_EQ(fresh->Tag(captions[i]), want[i]);
  EXPECT_EQ(fresh->stats().texts_tagged, 0) << "every caption came from the file";
  EXPECT_EQ(fresh->stats().cache_hits, 3);

  // A tagger with other options writes other tags: the file is stale to it.
  PosTaggerOptions other;
  other.lead_in = "there is";
  auto changed = MakeTagger(other);
  ASSERT_NE(changed, nullptr);
  EXPECT_NE(changed->version(), tagger_->version());
  auto stale = changed->LoadCache(path);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(stale->file_version, tagger_->version());
  EXPECT_EQ(changed->cache().size(), 0u);
}

TEST_F(PosTaggerTest, ManyThreadsTagAsOneThreadDoes) {
  const std::vector<std::string> captions = {
      "a man is playing guitar",     "people dancing at a party",     "a woman is slicing an onion",
      "two dogs run on the beach",   "a boy plays a video game",      "a chef adds salt to the pot",
      "a cat is sleeping on a sofa", "kids playing soccer in a field"};
  auto reference = MakeTagger();
  ASSERT_NE(reference, nullptr);
  std::vector<TaggedText> want;
  for (const std::string& c : captions) want.push_back(reference->Tag(c));

  constexpr int kThreads = 8;
  constexpr int kRounds = 6;
  std::vector<std::vector<TaggedText>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        // Each thread starts at a different caption, so the same captions
        // are parsed concurrently and cache hits interleave with misses.
        for (size_t i = 0; i < captions.size(); ++i) {
          got[t].push_back(tagger_->Tag(captions[(i + t) % captions.size()]));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (size_t k = 0; k < got[t].size(); ++k) {
      EXPECT_EQ(got[t][k], want[(k % captions.size() + t) % captions.size()])
          << "thread " << t << " result " << k;
    }
  }
  const PosTaggerStats stats = tagger_->stats();
  EXPECT_EQ(stats.texts_tagged + stats.cache_hits, kThreads * kRounds * 8);
  EXPECT_EQ(tagger_->cache().size(), captions.size());
}

TEST_F(PosTaggerTest, APathologicalSentenceHitsTheTimeLimitAndIsCounted) {
  PosTaggerOptions options;
  options.link_grammar.max_parse_seconds = 1;
  options.max_sentence_words = 1000;  // Keep the 60 words in one sentence.
  auto tagger = MakeTagger(options);
  ASSERT_NE(tagger, nullptr);
  const std::string words[] = {"the", "a",    "man",  "dog",  "run", "running", "of",
                               "in",  "on",   "with", "and",  "is",  "are",     "big",
                               "red", "jump", "to",   "from", "by",  "that",    "which"};
  std::string garbage;
  for (int i = 0; i < 60; ++i) garbage += std::string(i ? " " : "") + words[(i * 7 + 3) % 21];
  const auto start = std::chrono::steady_clock::now();
  const TaggedText tags = tagger->Tag(garbage);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(tags.timed_out);
  EXPECT_EQ(tagger->stats().timed_out, 1);
  EXPECT_EQ(tagger->stats().lead_in_reparsed, 0) << "no second chance after a timeout";
  EXPECT_LT(seconds, 15.0) << "the limit did not stop the parse";
  // The next caption is unaffected.
  EXPECT_EQ(Keywords("a dog barks", tagger->Tag("a dog barks")), "dog/N barks/V");
}

TEST(PosTaggerOptionsTest, RejectsBadOptionsWithAReason) {
  PosTaggerOptions options;
  options.link_grammar.max_parse_seconds = 0;
  EXPECT_EQ(PosTagger::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_sentence_words = 0;
  EXPECT_EQ(PosTagger::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.lead_in = "we\tsee";
  EXPECT_EQ(PosTagger::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.link_grammar.dictionary = testing::TempDir("pos_no_dict") + "/none";
  auto missing = PosTagger::Create(options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("link-grammar-dictionaries-en"), std::string::npos)
      << missing.status().message();
}

TEST_F(PosTaggerTest, AnUnknownDialectIsRejected) {
  PosTaggerOptions options;
  options.link_grammar.dialect = "no-such-dialect";
  auto tagger = PosTagger::Create(options);
  EXPECT_EQ(tagger.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tagger.status().message().find("no-such-dialect"), std::string::npos);
}

}  // namespace
}  // namespace camoe
