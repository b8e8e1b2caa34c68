// Accuracy of the tagger on 100 hand-labelled captions
// (tests/data/pos_labelled_captions.tsv; guidelines in its header): a caption
// counts as right when every tokenizer piece has its label. The captions the
// tagger gets wrong are listed below with the reason, so that a regression
// (a new failure) and an improvement (a listed caption now right) both fail
// this test until the list is updated. docs/pos.md reports the numbers.
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/pos/caption_streams.h"

namespace camoe {
namespace {

// The issue asks for at least 90% of captions exactly right; the tagger gets
// 90/100 on these labels (the rest are listed in KnownFailures with reasons).
constexpr double kMinExactCaptions = 0.90;

// Caption -> why the tagger gets it wrong.
const std::map<std::string, std::string>& KnownFailures() {
  static const auto* const failures = new std::map<std::string, std::string>{
      {"an orange sports car accelerates quickly",
       "link-grammar prefers the fruit orange.n-u as a noun modifier to the colour orange.a"},
      {"little pet shop cat getting a bath and washed with little brush",
       "the best parse has a null word and makes 'washed' an adjective of 'brush'; the lead-in "
       "re-parse conjoins 'see ... and washed' and is rejected as a rearrangement"},
      {"there are pictures and quotes from george bernard shaw and vincent van gogh while a "
       "voice over artist talks about making mistakes",
       "'van' is a known noun, so 'Van Gogh' is not restored as a name and 'gogh' stays an "
       "unknown word outside any noun reading"},
      {"high school wrestling match",
       "a verbless noun phrase gives way to the lead-in reading 'we see high school wrestling.v "
       "match' (the rule that makes 'a guy cleaning house' right)"},
      {"man shows how to prepare pizza",
       "no parse reads 'man shows' as subject and verb without a determiner; both parses make "
       "'shows' a noun"},
      {"an omellette being cooked with chop sticks",
       "the best linkage makes 'omellette' the subject of 'sticks.v', a clause without null "
       "words, so no re-parse is tried"},
      {"tea party member stuns crowd original",
       "the ungrammatical tail 'crowd original' is linked as a noun compound"},
      {"a cheetah is chasing prey",
       "link-grammar's dictionary has 'prey' only as a verb; it is a null word, tagged from "
       "the dictionary"},
      {"a chef pouring oil and adding spices into a bowl",
       "the best parse conjoins the noun phrases 'oil and [adding spices]', 'adding' "
       "attributive"},
      {"The woman shows off her work so far and continues knitting.",
       "with determiners optional (headline dialect) 'woman shows' is read as a plural noun "
       "compound at the same cost as subject + verb"},
  };
  return *failures;
}

struct Labelled {
  std::string caption;
  std::string labels;  // "a man/N is playing/V guitar/N"
};

std::vector<Labelled> ReadLabelled(const std::string& path, std::string* error) {
  std::vector<Labelled> out;
  auto data = ReadFile(path);
  if (!data.ok()) {
    *error = std::string(data.status().message());
    return out;
  }
  std::istringstream lines(*data);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      *error = "no tab in line: " + line;
      return {};
    }
    out.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return out;
}

class PosAccuracyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string vocab = testing::BpeVocabPath();
    if (vocab.empty()) GTEST_SKIP() << "the BPE merges are missing: run scripts/fetch-assets.sh";
    auto tokenizer = BpeTokenizer::Load(vocab);
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = *std::move(tokenizer);
    auto tagger = PosTagger::Create();
    if (tagger.status().code() == absl::StatusCode::kNotFound) {
      GTEST_SKIP() << "link-grammar's English dictionary is missing: " << tagger.status();
    }
    ASSERT_TRUE(tagger.ok()) << tagger.status();
    tagger_ = *std::move(tagger);
  }

  std::unique_ptr<BpeTokenizer> tokenizer_;
  std::unique_ptr<PosTagger> tagger_;
};

TEST_F(PosAccuracyTest, HandLabelledCaptionsAreTaggedAsLabelled) {
  std::string error;
  const std::vector<Labelled> data =
      ReadLabelled(testing::SourceDir() + "/tests/data/pos_labelled_captions.tsv", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_GE(data.size(), 60u);

  int exact = 0;
  // Per tag: [0] labelled and tagged, [1] tagged, [2] labelled.
  std::map<std::string, std::array<int, 3>> counts;
  std::vector<std::string> now_right;
  for (const Labelled& item : data) {
    auto pieces = TagPieces(*tokenizer_, *tagger_, item.caption);
    ASSERT_TRUE(pieces.ok()) << item.caption << ": " << pieces.status();
    std::string got;
    std::vector<std::string> want_words;
    {
      std::istringstream words(item.labels);
      std::string w;
      while (words >> w) want_words.push_back(w);
    }
    ASSERT_EQ(want_words.size(), pieces->size())
        << "the labels must follow the tokenizer's pieces: " << item.caption;
    for (size_t i = 0; i < pieces->size(); ++i) {
      const TaggedPiece& p = (*pieces)[i];
      const std::string tag = p.tag == PosTag::kNoun ? "/N" : p.tag == PosTag::kVerb ? "/V" : "";
      got += (i ? " " : "") + p.text + tag;
      const std::string& w = want_words[i];
      const std::string want_tag =
          w.size() > 2 && (w.substr(w.size() - 2) == "/N" || w.substr(w.size() - 2) == "/V")
              ? w.substr(w.size() - 2)
              : "";
      ASSERT_EQ(want_tag.empty() ? w : w.substr(0, w.size() - 2), p.text) << item.caption;
      for (const std::string t : {"/N", "/V"}) {
        counts[t][0] += tag == t && want_tag == t;
        counts[t][1] += tag == t;
        counts[t][2] += want_tag == t;
      }
    }
    const bool right = got == item.labels;
    exact += right;
    const bool known = KnownFailures().count(item.caption) > 0;
    if (right && known) now_right.push_back(item.caption);
    EXPECT_TRUE(right || known) << "regression: a caption the tagger got right is now wrong\n"
                                << "  want: " << item.labels << "\n  got:  " << got;
  }
  for (const std::string& caption : now_right) {
    ADD_FAILURE() << "improvement: '" << caption
                  << "' is now tagged right; remove it from KnownFailures()";
  }
  for (const auto& [caption, reason] : KnownFailures()) {
    bool present = false;
    for (const Labelled& item : data) present = present || item.caption == caption;
    EXPECT_TRUE(present) << "KnownFailures() names a caption not in the data: " << caption;
  }
  const double accuracy = static_cast<double>(exact) / data.size();
  std::string report = absl::StrFormat("exact captions: %d/%d (%.1f%%)", exact,
                                       static_cast<int>(data.size()), 100 * accuracy);
  for (const auto& [t, c] : counts) {
    report += absl::StrFormat("; %s precision %.3f recall %.3f (%d labelled)", t,
                              c[1] ? static_cast<double>(c[0]) / c[1] : 0.0,
                              c[2] ? static_cast<double>(c[0]) / c[2] : 0.0, c[2]);
  }
  std::printf("%s\n", report.c_str());
  RecordProperty("accuracy", report);
  EXPECT_GE(accuracy, kMinExactCaptions) << report;
}

}  // namespace
}  // namespace camoe
