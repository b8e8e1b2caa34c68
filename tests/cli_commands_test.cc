// The `camoe` sub-commands, run in-process through RunCli, plus the binary once.
#include <gtest/gtest.h>

#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "tests/test_paths.h"
#include "tests/cli_runner.h"
#include "worker/image/image.h"
#include "worker/image/preprocess.h"
#include "worker/image/shapes.h"
#include "worker/model/clip_encoder.h"
#include "worker/text/bpe_tokenizer.h"

namespace camoe {
namespace {

using Result = testing::CliResult;
using testing::RunCamoe;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  return lines;
}

std::vector<float> ParseJsonArray(const std::string& line) {
  EXPECT_EQ(line.front(), '[');
  EXPECT_EQ(line.back(), ']');
  std::vector<float> values;
  for (absl::string_view part : absl::StrSplit(line.substr(1, line.size() - 2), ", ")) {
    float v;
    EXPECT_TRUE(absl::SimpleAtof(part, &v)) << part;
    values.push_back(v);
  }
  return values;
}

ClipConfig SmallConfig() {
  ClipConfig config;
  config.set_embed_dim(16);
  config.mutable_vision()->set_image_resolution(32);
  config.mutable_vision()->set_patch_size(16);
  config.mutable_vision()->set_width(64);
  config.mutable_vision()->set_layers(1);
  config.mutable_vision()->set_heads(2);
  config.mutable_text()->set_context_length(12);
  config.mutable_text()->set_width(64);
  config.mutable_text()->set_layers(1);
  config.mutable_text()->set_heads(4);
  return config;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vocab_ = testing::BpeVocabPath();
    ASSERT_FALSE(vocab_.empty()) << "BPE merges missing: run scripts/fetch-assets.sh build/assets";
    dir_ = testing::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  // A small random CLIP saved as a camoe file; returns its encoder.
  std::unique_ptr<ClipEncoder> SaveWeights(const std::string& path) {
    auto encoder = ClipEncoder::CreateRandom(SmallConfig(), 3);
    EXPECT_TRUE(encoder.ok());
    EXPECT_TRUE((*encoder)->Save(path).ok());
    return std::move(*encoder);
  }

  std::string vocab_;
  std::string dir_;
};

TEST_F(CliTest, TokenizePrintsSotIdsEot) {
  Result r = RunCamoe({"tokenize", "--vocab=" + vocab_, "a diagram", "a dog", "a cat"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), std::vector<std::string>({"49406 320 22697 49407", "49406 320 1929 49407",
                                                    "49406 320 2368 49407"}));
}

TEST_F(CliTest, TokenizeTruncatesKeepingEotAndPads) {
  Result r = RunCamoe({"tokenize", "--vocab", vocab_, "--max_words=4", "a dog and a cat"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "49406 320 1929 49407\n");
  r = RunCamoe({"tokenize", "--vocab=" + vocab_, "--max_words=6", "--pad", "a dog"});
  EXPECT_EQ(r.out, "49406 320 1929 49407 0 0\n");
  r = RunCamoe({"tokenize", "--vocab=" + vocab_, "--raw", "a dog"});
  EXPECT_EQ(r.out, "320 1929\n");
}

TEST_F(CliTest, UsageErrorsExitTwoAndSayWhy) {
  Result r = RunCamoe({"tokenize", "--vocab=" + vocab_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no TEXT given"), std::string::npos);
  r = RunCamoe({"tokenize", "--max_word=3", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean --max_words"), std::string::npos) << r.err;
  r = RunCamoe({"tokenise"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean 'tokenize'"), std::string::npos) << r.err;
  r = RunCamoe({});
  EXPECT_EQ(r.code, 2);
}

TEST_F(CliTest, MissingVocabNamesThePathAndTheFix) {
  Result r = RunCamoe({"tokenize", "--vocab=" + dir_ + "/none.txt.gz", "a dog"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("none.txt.gz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/fetch-assets.sh"), std::string::npos) << r.err;
}

TEST_F(CliTest, EverySubcommandHasHelp) {
  for (const char* command :
       {"tokenize", "encode-text", "encode-image", "inspect-weights", "convert-weights", "demo"}) {
    Result r = RunCamoe({command, "--help"});
    EXPECT_EQ(r.code, 0) << command;
    EXPECT_NE(r.out.find(std::string("usage: camoe ") + command), std::string::npos) << command;
  }
  Result r = RunCamoe({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("inspect-weights"), std::string::npos);
}

TEST_F(CliTest, EncodeTextPrintsTheModelsFeaturesExactly) {
  auto encoder = SaveWeights(dir_ + "/w.camoe");
  Result r = RunCamoe({"encode-text", "--weights=" + dir_ + "/w.camoe", "--vocab=" + vocab_,
                  "--threads=1", "a dog", "a red circle on the left"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  auto tokenizer = BpeTokenizer::Load(vocab_);
  ASSERT_TRUE(tokenizer.ok());
  auto expected = encoder->EncodeText({*(*tokenizer)->EncodeForModel("a dog", 12, false),
                                       *(*tokenizer)->EncodeForModel("a red circle on the left",
                                                                     12, false)});
  ASSERT_TRUE(expected.ok());
  for (int row = 0; row < 2; ++row) {
    std::vector<float> got = ParseJsonArray(lines[row]);
    ASSERT_EQ(got.size(), 16u);
    for (int k = 0; k < 16; ++k) EXPECT_EQ(got[k], expected->Row(row)[k]);  // %.9g round-trips
  }
}

TEST_F(CliTest, EncodeImagePreprocessesAndEncodes) {
  auto encoder = SaveWeights(dir_ + "/w.camoe");
  image::ShapeInstance circle;
  circle.color = image::Color::kRed;
  auto rendered = image::RenderScene(48, 40, image::Color::kBlack, {circle});
  ASSERT_TRUE(rendered.ok());
  ASSERT_TRUE(image::WritePng(dir_ + "/a.png", *rendered).ok());
  Result r = RunCamoe({"encode-image", "--weights=" + dir_ + "/w.camoe", dir_ + "/a.png"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto pixels = image::PreprocessForClip(*rendered, 32);
  auto expected = encoder->EncodeImages({*pixels});
  std::vector<float> got = ParseJsonArray(Lines(r.out).at(0));
  ASSERT_EQ(got.size(), 16u);
  for (int k = 0; k < 16; ++k) EXPECT_EQ(got[k], expected->Row(0)[k]);

  ASSERT_TRUE(WriteFileAtomically(dir_ + "/bad.png", "not an image").ok());
  r = RunCamoe({"encode-image", "--weights=" + dir_ + "/w.camoe", dir_ + "/bad.png"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.png"), std::string::npos) << r.err;
}

TEST_F(CliTest, InspectWeightsPrintsConfigAndCount) {
  SaveWeights(dir_ + "/w.camoe");
  Result r = RunCamoe({"inspect-weights", "--weights=" + dir_ + "/w.camoe"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("format: camoe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    heads: 4"), std::string::npos) << r.out;
  auto encoder = ClipEncoder::CreateRandom(SmallConfig(), 3);
  EXPECT_NE(r.out.find("parameters: " + std::to_string((*encoder)->parameter_count())),
            std::string::npos);
  r = RunCamoe({"inspect-weights", "--json", "--weights=" + dir_ + "/w.camoe"});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"format\": \"camoe\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"embed_dim\": 16"), std::string::npos);
  r = RunCamoe({"inspect-weights", "--weights=" + dir_ + "/missing.pt"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.pt"), std::string::npos);
}

TEST_F(CliTest, ConvertWeightsWritesALoadableCopy) {
  SaveWeights(dir_ + "/w.camoe");
  Result r = RunCamoe({"convert-weights", "--weights=" + dir_ + "/w.camoe", "--out=" + dir_ + "/c.camoe"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto a = ReadFile(dir_ + "/w.camoe");
  auto b = ReadFile(dir_ + "/c.camoe");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST_F(CliTest, DemoRunsTheShippedConfig) {
  Result r = RunCamoe({"demo", "--config=" + testing::SourceDir() + "/configs/demo.pbtxt",
                  "--vocab=" + vocab_, "--images_out=" + dir_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("scaled cosine similarity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("an orange circle next to a white square"), std::string::npos);
  EXPECT_TRUE(FileExists(dir_ + "/scene_5.png"));
  EXPECT_NE(r.err.find("effective config"), std::string::npos);
}

TEST_F(CliTest, DemoRejectsABadConfigWithItsLine) {
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/bad.pbtxt", "model {\n  clip { embed_dimm: 3 }\n}\n").ok());
  Result r = RunCamoe({"demo", "--config=" + dir_ + "/bad.pbtxt"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.pbtxt:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean \"embed_dim\""), std::string::npos) << r.err;
}

TEST(CliBinaryTest, TheBinaryRunsAndReportsErrorsOnStderr) {
  std::string out;
  std::string binary = testing::BinaryDir() + "/camoe";
  EXPECT_EQ(testing::RunCommand(binary + " --help", &out), 0);
  EXPECT_NE(out.find("usage: camoe"), std::string::npos);
  out.clear();
  EXPECT_EQ(testing::RunCommand(binary + " inspect-weights --weights=/nonexistent 2>&1", &out), 1);
  EXPECT_NE(out.find("/nonexistent"), std::string::npos) << out;
}

}  // namespace
}  // namespace camoe
