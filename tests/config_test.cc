#include "common/config.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/file_util.h"
#include "common/text_proto.h"
#include "tests/test_paths.h"

namespace camoe {
namespace {

TEST(TextProtoTest, UnknownFieldErrorHasLineColumnAndSuggestion) {
  JobSpec spec;
  absl::Status status = ParseTextProto(
      "name: \"x\"\nmodel {\n  clip {\n    vision { widht: 64 }\n  }\n}\n", "demo.pbtxt", &spec);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("demo.pbtxt:4:"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("no field named \"widht\""), std::string::npos);
  EXPECT_NE(status.message().find("did you mean \"width\"?"), std::string::npos);
}

TEST(TextProtoTest, UnrelatedUnknownFieldListsTheValidFields) {
  TextConfig text;
  absl::Status status = ParseTextProto("zzzzzzzz: 1", "t.pbtxt", &text);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("fields of TextConfig: context_length"), std::string::npos)
      << status.message();
}

TEST(TextProtoTest, BadEnumValueAndDuplicateFieldAreErrors) {
  RuntimeConfig runtime;
  absl::Status status = ParseTextProto("device: DEVICE_TPU", "r.pbtxt", &runtime);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("r.pbtxt:1:"), std::string::npos) << status.message();
  status = ParseTextProto("seed: 1\nseed: 2", "r.pbtxt", &runtime);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("r.pbtxt:2:"), std::string::npos) << status.message();
}

TEST(TextProtoTest, WrongValueTypeIsReportedWithItsLine) {
  TextConfig text;
  absl::Status status = ParseTextProto("width: 64\nlayers: \"two\"\n", "t.pbtxt", &text);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("t.pbtxt:2:"), std::string::npos) << status.message();
}

TEST(ConfigValidationTest, DefaultsAreViTB32AndValid) {
  ClipConfig clip;
  EXPECT_EQ(clip.vision().width(), 768);
  EXPECT_EQ(clip.vision().patch_size(), 32);
  EXPECT_EQ(clip.text().heads(), 8);
  EXPECT_TRUE(ValidateClipConfig(clip).ok());
}

TEST(ConfigValidationTest, ErrorsNameTheFieldPathAndRule) {
  ClipConfig clip;
  clip.mutable_vision()->set_heads(10);
  absl::Status status = ValidateClipConfig(clip, "model.clip");
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("model.clip.vision.heads: width 768 is not divisible by 10"),
            std::string::npos)
      << status.message();

  clip = ClipConfig();
  clip.mutable_vision()->set_image_resolution(100);
  status = ValidateClipConfig(clip, "model.clip");
  EXPECT_NE(status.message().find("model.clip.vision.patch_size"), std::string::npos);

  clip = ClipConfig();
  clip.mutable_text()->set_layers(0);
  status = ValidateClipConfig(clip, "model.clip");
  EXPECT_NE(status.message().find("model.clip.text.layers: 0 is out of range [1, 128]"),
            std::string::npos)
      << status.message();

  clip = ClipConfig();
  clip.mutable_text()->set_vocab_size(1000);
  EXPECT_NE(ValidateClipConfig(clip).message().find("clip.text.vocab_size"), std::string::npos);
}

TEST(ConfigValidationTest, MaxWordsCannotExceedContextLength) {
  JobSpec spec;
  spec.mutable_tokenizer()->set_max_words(100);
  absl::Status status = ValidateJobSpec(spec);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("tokenizer.max_words: 100 exceeds"), std::string::npos);
}

TEST(ConfigValidationTest, EveryShippedConfigLoads) {
  for (const char* name : {"demo.pbtxt", "clip_vit_b32.pbtxt", "clip_vit_b16.pbtxt",
                           "msrvtt_9k.pbtxt", "msrvtt_full.pbtxt", "msvd.pbtxt", "lsmdc.pbtxt",
                           "didemo.pbtxt", "activitynet.pbtxt"}) {
    auto spec = LoadJobSpec(testing::SourceDir() + "/configs/" + name);
    EXPECT_TRUE(spec.ok()) << name << ": " << spec.status();
  }
}

TEST(ConfigValidationTest, LoadJobSpecPrefixesThePath) {
  std::string dir = testing::TempDir("config_test");
  ASSERT_TRUE(WriteFileAtomically(dir + "/bad.pbtxt", "runtime { inter_op_threads: 0 }").ok());
  auto spec = LoadJobSpec(dir + "/bad.pbtxt");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("bad.pbtxt: runtime.inter_op_threads"), std::string::npos)
      << spec.status();
}

TEST(ConfigValidationTest, TrainingSectionsAreRangeChecked) {
  JobSpec spec;
  spec.mutable_optimizer()->set_head_lr(0);
  EXPECT_NE(ValidateJobSpec(spec).message().find("optimizer.head_lr: 0 is out of range (0, 1]"),
            std::string::npos)
      << ValidateJobSpec(spec);
  spec = JobSpec();
  spec.mutable_optimizer()->set_beta2(1.0);
  EXPECT_NE(ValidateJobSpec(spec).message().find("optimizer.beta2"), std::string::npos);
  spec = JobSpec();
  spec.mutable_schedule()->set_batch_size(10);
  spec.mutable_distributed()->set_world_size(4);
  EXPECT_NE(ValidateJobSpec(spec).message().find("not divisible by distributed.world_size 4"),
            std::string::npos);
  spec = JobSpec();
  spec.mutable_loss()->set_dsl_temperature(-1);
  EXPECT_NE(ValidateJobSpec(spec).message().find("loss.dsl_temperature"), std::string::npos);
  spec = JobSpec();
  spec.mutable_distributed()->set_world_size(0);
  EXPECT_NE(ValidateJobSpec(spec).message().find("distributed.world_size: 0 is out of range"),
            std::string::npos);
  spec = JobSpec();
  spec.mutable_loss()->set_entity_weight(std::nanf(""));
  EXPECT_FALSE(ValidateJobSpec(spec).ok());
}

TEST(ConfigValidationTest, ThreadCountZeroMeansAllCores) {
  EXPECT_EQ(ResolveThreadCount(3), 3);
  EXPECT_GE(ResolveThreadCount(0), 1);
}

}  // namespace
}  // namespace camoe
