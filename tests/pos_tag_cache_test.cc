// TagCache (worker/pos/tag_cache.h): lookups, the on-disk round trip, version
// mismatch, damaged files, and many threads at once. No dictionary needed.
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/pos/tag_cache.h"

namespace camoe {
namespace {

TaggedText Tags(std::vector<KeywordSpan> keywords, bool lead_in = false, bool timed_out = false) {
  TaggedText t;
  t.keywords = std::move(keywords);
  t.used_lead_in = lead_in;
  t.timed_out = timed_out;
  return t;
}

class TagCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("pos_tag_cache"); }
  std::string dir_;
};

TEST_F(TagCacheTest, LooksUpByExactText) {
  TagCache cache("v1");
  TaggedText got;
  EXPECT_FALSE(cache.Lookup("a man is running", &got));
  cache.Insert("a man is running", Tags({{2, 5, PosTag::kNoun}, {9, 16, PosTag::kVerb}}));
  ASSERT_TRUE(cache.Lookup("a man is running", &got));
  EXPECT_EQ(got.keywords.size(), 2u);
  EXPECT_FALSE(cache.Lookup("a man is running ", &got));
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(TagCacheTest, StopsGrowingAtItsBound) {
  TagCache cache("v1", /*max_entries=*/2);
  cache.Insert("a", Tags({}));
  cache.Insert("b", Tags({}));
  cache.Insert("c", Tags({}));
  TaggedText got;
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Lookup("c", &got));
}

TEST_F(TagCacheTest, SaveAndLoadRoundTripEveryField) {
  TagCache cache("rules=1 lg=test");
  const TaggedText plain = Tags({{2, 5, PosTag::kNoun}, {9, 16, PosTag::kVerb}});
  const TaggedText flagged = Tags({{0, 6, PosTag::kNoun}}, /*lead_in=*/true, /*timed_out=*/true);
  cache.Insert("a man is running", plain);
  cache.Insert("people dancing", flagged);
  cache.Insert("tabs\tand\nnewlines\\ too", Tags({}));
  cache.Insert("", Tags({}));
  const std::string path = dir_ + "/tags.tsv";
  ASSERT_TRUE(cache.Save(path).ok());

  TagCache loaded("rules=1 lg=test");
  auto result = loaded.Load(path);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->stale);
  EXPECT_EQ(result->loaded, 4u);
  TaggedText got;
  ASSERT_TRUE(loaded.Lookup("a man is running", &got));
  EXPECT_EQ(got, plain);
  ASSERT_TRUE(loaded.Lookup("people dancing", &got));
  EXPECT_EQ(got, flagged);
  EXPECT_TRUE(loaded.Lookup("tabs\tand\nnewlines\\ too", &got));
  EXPECT_TRUE(loaded.Lookup("", &got));

  // Sorted output: saving the loaded cache gives the same bytes.
  ASSERT_TRUE(loaded.Save(dir_ + "/again.tsv").ok());
  EXPECT_EQ(*ReadFile(path), *ReadFile(dir_ + "/again.tsv"));
}

TEST_F(TagCacheTest, AnotherVersionIsStaleAndNotLoaded) {
  TagCache old_cache("rules=1");
  old_cache.Insert("a dog", Tags({{2, 5, PosTag::kNoun}}));
  const std::string path = dir_ + "/tags.tsv";
  ASSERT_TRUE(old_cache.Save(path).ok());
  TagCache cache("rules=2");
  auto result = cache.Load(path);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stale);
  EXPECT_EQ(result->file_version, "rules=1");
  EXPECT_EQ(result->loaded, 0u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(TagCacheTest, MissingFileIsNotFound) {
  TagCache cache("v1");
  EXPECT_EQ(cache.Load(dir_ + "/absent.tsv").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TagCacheTest, DamagedFilesAreDataLossNamingTheLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not a cache\n", ":1:"},
      {"camoe-pos-tags\t1\tv1\na dog\t-\n", ":2:"},               // two fields
      {"camoe-pos-tags\t1\tv1\na dog\t-\t2:5:X\n", ":2:"},        // tag
      {"camoe-pos-tags\t1\tv1\na dog\t-\t2:9:N\n", ":2:"},        // past the text
      {"camoe-pos-tags\t1\tv1\na dog\t-\t2:5:N 0:1:N\n", ":2:"},  // out of order
      {"camoe-pos-tags\t1\tv1\na dog\tQ\t\n", ":2:"},             // flags
      {"camoe-pos-tags\t1\tv1\nbad\\q\t-\t\n", ":2:"},            // escape
      {"camoe-pos-tags\t1\tv1\na dog\t-\t2:5:N", ":2:"},          // no newline
  };
  for (const auto& [content, where] : cases) {
    const std::string path = dir_ + "/bad.tsv";
    ASSERT_TRUE(WriteFileAtomically(path, content).ok());
    TagCache cache("v1");
    auto result = cache.Load(path);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss) << content;
    EXPECT_NE(result.status().message().find(where), std::string::npos)
        << result.status().message();
    EXPECT_NE(result.status().message().find("delete it"), std::string::npos);
    EXPECT_EQ(cache.size(), 0u) << "nothing is loaded from a damaged file";
  }
}

TEST_F(TagCacheTest, ManyThreadsInsertAndLookUp) {
  TagCache cache("v1");
  constexpr int kThreads = 8;
  constexpr int kTexts = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < kTexts; ++i) {
        const std::string text = "caption " + std::to_string(i);
        TaggedText got;
        if (!cache.Lookup(text, &got)) cache.Insert(text, Tags({{0, 7, PosTag::kNoun}}));
        if (t % 2 == 0) cache.Lookup("caption " + std::to_string(kTexts - 1 - i), &got);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(cache.size(), static_cast<size_t>(kTexts));
}

}  // namespace
}  // namespace camoe
