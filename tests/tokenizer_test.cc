// BpeTokenizer against OpenAI CLIP's known ids and against the golden ids the
// independent Python reference wrote for tests/data/tokenizer_captions.jsonl
// (see docs/tokenizer.md), plus loading errors, decoding and thread safety.
// Needs the BPE merges from scripts/fetch-assets.sh: without them every test
// here fails, on purpose, with a message saying so.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "tests/tokenizer_test_util.h"
#include "worker/text/bpe_tokenizer.h"
#include "worker/text/pretokenizer.h"
#include "worker/text/text_clean.h"

namespace camoe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BpeTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string path = testing::BpeVocabPath();
    if (path.empty()) return;
    absl::StatusOr<std::unique_ptr<BpeTokenizer>> loaded = BpeTokenizer::Load(path);
    if (loaded.ok()) {
      tokenizer_ = loaded->release();
    } else {
      *load_error_ = loaded.status().ToString();
    }
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(testing::BpeVocabPath().empty()) << MissingVocabMessage();
    ASSERT_NE(tokenizer_, nullptr) << *load_error_;
  }

  std::vector<int32_t> MustEncode(std::string_view text) {
    absl::StatusOr<std::vector<int32_t>> ids = tokenizer_->Encode(text);
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *ids : std::vector<int32_t>{};
  }

  static BpeTokenizer* tokenizer_;
  static std::string* load_error_;
};

BpeTokenizer* BpeTokenizerTest::tokenizer_ = nullptr;
std::string* BpeTokenizerTest::load_error_ = new std::string();

TEST_F(BpeTokenizerTest, EncodesKnownClipIds) {
  absl::StatusOr<std::vector<int32_t>> diagram = tokenizer_->EncodeForModel("a diagram", 77, false);
  ASSERT_TRUE(diagram.ok()) << diagram.status();
  EXPECT_THAT(*diagram, ElementsAre(49406, 320, 22697, 49407));
  EXPECT_THAT(MustEncode("a dog"), ElementsAre(320, 1929));
  EXPECT_THAT(MustEncode("a cat"), ElementsAre(320, 2368));
  EXPECT_THAT(MustEncode("<|startoftext|>a<|endoftext|>"), ElementsAre(49406, 320, 49407));
}

TEST_F(BpeTokenizerTest, MatchesPythonReferenceGoldenIdsForEveryCaption) {
  const std::vector<std::string> captions = ReadCaptions();
  const std::vector<std::vector<int32_t>> golden = ReadGoldenIds();
  ASSERT_GE(captions.size(), 250u);
  ASSERT_EQ(captions.size(), golden.size())
      << "regenerate " << kGoldenFile << " (docs/tokenizer.md)";
  int mismatches = 0;
  for (size_t i = 0; i < captions.size(); ++i) {
    absl::StatusOr<std::vector<int32_t>> ids = tokenizer_->Encode(captions[i]);
    ASSERT_TRUE(ids.ok()) << "caption " << i + 1 << ": " << ids.status();
    if (*ids != golden[i]) {
      ++mismatches;
      absl::StatusOr<std::string> cleaned = CleanCaption(captions[i]);
      ADD_FAILURE() << kCaptionsFile << " line " << i + 1 << " [" << captions[i]
                    << "]\n  cleaned: [" << (cleaned.ok() ? *cleaned : cleaned.status().ToString())
                    << "]\n  C++:    " << IdsToString(*ids)
                    << "\n  golden: " << IdsToString(golden[i]);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_F(BpeTokenizerTest, EncodeForModelTruncatesKeepingEotAndPadsWithZero) {
  const std::string text = "a man in a red shirt is playing the guitar on a big stage tonight";
  const std::vector<int32_t> body = MustEncode(text);
  ASSERT_GT(body.size(), 6u);

  absl::StatusOr<std::vector<int32_t>> cut = tokenizer_->EncodeForModel(text, 8, true);
  ASSERT_TRUE(cut.ok()) << cut.status();
  std::vector<int32_t> expected = {BpeTokenizer::kSotId};
  expected.insert(expected.end(), body.begin(), body.begin() + 6);
  expected.push_back(BpeTokenizer::kEotId);
  EXPECT_EQ(*cut, expected);

  absl::StatusOr<std::vector<int32_t>> padded = tokenizer_->EncodeForModel("a dog", 8, true);
  ASSERT_TRUE(padded.ok());
  EXPECT_THAT(*padded, ElementsAre(49406, 320, 1929, 49407, 0, 0, 0, 0));
  absl::StatusOr<std::vector<int32_t>> unpadded = tokenizer_->EncodeForModel("a dog", 8, false);
  ASSERT_TRUE(unpadded.ok());
  EXPECT_THAT(*unpadded, ElementsAre(49406, 320, 1929, 49407));
  absl::StatusOr<std::vector<int32_t>> minimal = tokenizer_->EncodeForModel("a dog", 2, true);
  ASSERT_TRUE(minimal.ok());
  EXPECT_THAT(*minimal, ElementsAre(49406, 49407));
  absl::StatusOr<std::vector<int32_t>> empty = tokenizer_->EncodeForModel("", 4, true);
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, ElementsAre(49406, 49407, 0, 0));

  EXPECT_EQ(tokenizer_->EncodeForModel("a dog", 1, true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BpeTokenizerTest, DecodeRoundTripsCleanedWords) {
  // OpenAI's decode ends every word with a space (its "</w>").
  for (const std::string text :
       {"a man is playing a guitar.", "Two men play basketball; one scores!", "it's 1,000 o'clock",
        "Caf\xC3\xA9 \xE4\xB8\x80\xE4\xB8\xAA \xF0\x9F\x98\x80"}) {
    absl::StatusOr<std::string> cleaned = CleanCaption(text);
    ASSERT_TRUE(cleaned.ok());
    std::string expected;
    for (std::string_view word : SplitWords(*cleaned)) expected += std::string(word) + " ";
    EXPECT_EQ(tokenizer_->Decode(MustEncode(text)), expected) << text;
  }
  EXPECT_EQ(tokenizer_->Decode({49406, 320, 1929, 49407}), "<|startoftext|>a dog <|endoftext|>");
}

TEST_F(BpeTokenizerTest, DecodeReplacesBrokenUtf8AndUnknownIds) {
  EXPECT_EQ(tokenizer_->Decode({127}), "\xEF\xBF\xBD");  // Byte 0xC3 alone.
  EXPECT_EQ(tokenizer_->Decode({320, -1, BpeTokenizer::kVocabSize}), "a \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer_->Decode({}), "");
}

TEST_F(BpeTokenizerTest, RejectsInvalidUtf8) {
  absl::StatusOr<std::vector<int32_t>> ids = tokenizer_->Encode("a dog\xFF");
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ids.status().message()), HasSubstr("byte offset 5"));
  EXPECT_FALSE(tokenizer_->EncodeForModel("\xC3", 77, true).ok());
  EXPECT_FALSE(tokenizer_->EncodeWithWords("\xC3").ok());
}

TEST_F(BpeTokenizerTest, EncodeWithWordsGroupsEncodeByWord) {
  absl::StatusOr<std::vector<BpeTokenizer::Piece>> pieces =
      tokenizer_->EncodeWithWords("A man's  playing 12 guitars!!");
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  std::vector<std::string> words;
  std::vector<int32_t> joined;
  for (const BpeTokenizer::Piece& piece : *pieces) {
    words.push_back(piece.text);
    EXPECT_EQ(piece.first_token, static_cast<int>(joined.size())) << piece.text;
    EXPECT_FALSE(piece.ids.empty());
    joined.insert(joined.end(), piece.ids.begin(), piece.ids.end());
  }
  EXPECT_THAT(words, ElementsAre("a", "man", "'s", "playing", "1", "2", "guitars", "!!"));
  EXPECT_EQ(joined, MustEncode("A man's  playing 12 guitars!!"));

  for (const std::string& caption : ReadCaptions()) {
    absl::StatusOr<std::vector<BpeTokenizer::Piece>> all = tokenizer_->EncodeWithWords(caption);
    ASSERT_TRUE(all.ok());
    std::vector<int32_t> ids;
    for (const BpeTokenizer::Piece& piece : *all) {
      ids.insert(ids.end(), piece.ids.begin(), piece.ids.end());
    }
    EXPECT_EQ(ids, MustEncode(caption)) << caption;
  }
}

TEST_F(BpeTokenizerTest, ThreadsEncodingConcurrentlyGetIdenticalResults) {
  // A fresh tokenizer, so that the threads race to fill its cache.
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> fresh = BpeTokenizer::Load(testing::BpeVocabPath());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::vector<std::string> captions = ReadCaptions();
  std::vector<std::vector<int32_t>> expected;
  for (const std::string& caption : captions) expected.push_back(MustEncode(caption));

  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t k = 0; k < captions.size(); ++k) {
          const size_t i =
              (k * (2 * t + 1) + t) % captions.size();  // A different order per thread.
          absl::StatusOr<std::vector<int32_t>> ids = (*fresh)->Encode(captions[i]);
          if (!ids.ok() || *ids != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_F(BpeTokenizerTest, LoadsPlainTextMergesLikeGzipped) {
  absl::StatusOr<std::string> text = ReadMaybeGzipFile(testing::BpeVocabPath());
  ASSERT_TRUE(text.ok());
  const std::string plain = testing::TempDir("tokenizer_plain") + "/bpe_simple_vocab_16e6.txt";
  ASSERT_TRUE(WriteFileAtomically(plain, *text).ok());
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> loaded = BpeTokenizer::Load(plain);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (const std::string& caption : ReadCaptions()) {
    absl::StatusOr<std::vector<int32_t>> ids = (*loaded)->Encode(caption);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, MustEncode(caption));
  }
}

TEST_F(BpeTokenizerTest, EncodesMsrvttStyleCaptionsQuickly) {
  // Timings for the record (the real bounds are far lower; these only catch
  // pathological slow-downs on a busy 2-core machine).
  const auto start_load = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> fresh = BpeTokenizer::Load(testing::BpeVocabPath());
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_load).count();
  ASSERT_TRUE(fresh.ok());

  std::vector<std::string> captions;
  for (const std::string& caption : ReadCaptions()) {
    if (caption.size() < 200) captions.push_back(caption);
  }
  constexpr int kCaptions = 100000;
  size_t tokens = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCaptions; ++i) {
    absl::StatusOr<std::vector<int32_t>> ids = (*fresh)->Encode(captions[i % captions.size()]);
    ASSERT_TRUE(ids.ok());
    tokens += ids->size();
  }
  const double encode_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("load: %.3f s; %d captions (%zu tokens): %.3f s, %.0f captions/s\n", load_s,
              kCaptions, tokens, encode_s, kCaptions / encode_s);
  EXPECT_LT(load_s, 5.0);
  EXPECT_LT(encode_s, 20.0);
}

TEST(BpeTokenizerLoadTest, FailsClearlyWhenTheFileIsMissing) {
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> loaded =
      BpeTokenizer::Load("/nonexistent/bpe.txt.gz");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("/nonexistent/bpe.txt.gz"));
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("fetch-assets.sh"));
}

// Writes `content` as a merges file and returns Load's error.
absl::Status LoadBroken(const std::string& name, const std::string& content) {
  const std::string path = testing::TempDir("tokenizer_broken") + "/" + name;
  EXPECT_TRUE(WriteFileAtomically(path, content).ok());
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> loaded = BpeTokenizer::Load(path);
  EXPECT_FALSE(loaded.ok());
  if (loaded.ok()) return absl::OkStatus();
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr(path));
  return loaded.status();
}

TEST(BpeTokenizerLoadTest, FailsClearlyOnTruncatedOrMalformedFiles) {
  const std::string path = testing::BpeVocabPath();
  ASSERT_FALSE(path.empty()) << MissingVocabMessage();
  absl::StatusOr<std::string> text = ReadMaybeGzipFile(path);
  ASSERT_TRUE(text.ok());
  std::istringstream lines(*text);
  std::string line;
  std::vector<std::string> head;
  while (head.size() < 1001 && std::getline(lines, line)) head.push_back(line);
  std::string truncated;
  for (const std::string& l : head) truncated += l + "\n";

  absl::Status status = LoadBroken("truncated.txt", truncated);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("truncated"));

  std::string three_fields = *text;
  three_fields.insert(three_fields.find('\n', three_fields.find('\n') + 1), " extra");
  status = LoadBroken("three_fields.txt", three_fields);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("line 2 has 3 fields"));

  status = LoadBroken("unknown_symbol.txt",
                      "#version: 0.2\nzz q\n" + text->substr(text->find('\n') + 1));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("symbol 'zz'"));

  status = LoadBroken("latin1.txt", "#version: 0.2\n\xE9 t\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("UTF-8"));

  status = LoadBroken("corrupt.txt.gz", "not gzip data at all");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
}

TEST(BpeAssetTest, FetchedMergesEqualOpenAIFile) {
  const std::string openai = testing::SharedDir() + "/assets/clip/bpe_simple_vocab_16e6.txt.gz";
  if (!FileExists(openai)) GTEST_SKIP() << "no OpenAI copy at " << openai << " (../shared absent)";
  const std::string fetched = testing::BpeVocabPath();
  ASSERT_FALSE(fetched.empty()) << MissingVocabMessage();
  absl::StatusOr<std::string> ours = ReadMaybeGzipFile(fetched);
  absl::StatusOr<std::string> theirs = ReadMaybeGzipFile(openai);
  ASSERT_TRUE(ours.ok()) << ours.status();
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(ours->size(), theirs->size());
  EXPECT_TRUE(*ours == *theirs) << fetched << " differs from " << openai;
}

}  // namespace
}  // namespace camoe
