// DataConfig validation: ranges, per-format required fields, split names.
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "worker/data/data_config.h"

namespace camoe::data {
namespace {

using ::testing::HasSubstr;

DataConfig Parse(const std::string& text) {
  DataConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

std::string Error(const std::string& text) {
  absl::Status status = ValidateDataConfig(Parse(text));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(status.message());
}

TEST(DataConfigTest, DefaultsAndTypicalConfigsAreValid) {
  EXPECT_TRUE(ValidateDataConfig(DataConfig()).ok());
  DataConfig defaults;
  EXPECT_EQ(defaults.num_frames(), 12);
  EXPECT_EQ(defaults.train_sampling(), TRAIN_SAMPLING_ALL_PAIRS);
  EXPECT_EQ(defaults.loader_threads(), 4);
  EXPECT_EQ(defaults.prefetch_batches(), 2);
  EXPECT_FLOAT_EQ(defaults.max_bad_video_fraction(), 0.01f);
  for (const char* text : {
           "format: DATASET_MSRVTT annotation_dir: 'a' train_split: '9k' eval_split: '1k-A'",
           "format: DATASET_MSVD annotation_dir: 'a' video_dir: 'v' video_extensions: 'avi'",
           "format: DATASET_ACTIVITYNET annotation_dir: 'a' num_frames: 64 eval_split: 'val_2'",
           "format: DATASET_JSONL train_annotation: 'train.jsonl'",
           "format: DATASET_CSV eval_annotation: '/data/test.csv' max_bad_video_fraction: 0",
       }) {
    EXPECT_TRUE(ValidateDataConfig(Parse(text)).ok()) << text << ": "
                                                     << ValidateDataConfig(Parse(text));
  }
}

TEST(DataConfigTest, RangesNameTheField) {
  EXPECT_EQ(Error("num_frames: 0"), "data.num_frames: 0 is out of range [1, 256]");
  EXPECT_EQ(Error("loader_threads: -1"), "data.loader_threads: -1 is out of range [0, 1024]");
  EXPECT_EQ(Error("prefetch_batches: 65"), "data.prefetch_batches: 65 is out of range [0, 64]");
  EXPECT_THAT(Error("max_bad_video_fraction: 1.5"),
              HasSubstr("data.max_bad_video_fraction: 1.5 is out of range [0, 1]"));
  EXPECT_THAT(Error("video_extensions: 'a/b'"), HasSubstr("data.video_extensions[0]: \"a/b\""));
  absl::Status nested = ValidateDataConfig(Parse("num_frames: 300"), "job.data");
  EXPECT_EQ(nested.message(), "job.data.num_frames: 300 is out of range [1, 256]");
}

TEST(DataConfigTest, FieldsEachFormatNeeds) {
  EXPECT_THAT(Error("annotation_dir: 'a'"),
              HasSubstr("data.format: not set, but data.annotation_dir is"));
  EXPECT_THAT(Error("format: DATASET_LSMDC"), HasSubstr("data.annotation_dir: required for LSMDC"));
  EXPECT_THAT(Error("format: DATASET_DIDEMO annotation_dir: 'a' train_annotation: 'x.json'"),
              HasSubstr("data.train_annotation: only JSONL and CSV data name files"));
  EXPECT_THAT(Error("format: DATASET_JSONL annotation_dir: 'a'"),
              HasSubstr("data.train_annotation: JSONL data needs the training file"));
}

TEST(DataConfigTest, SplitNamesAreCheckedPerDataset) {
  EXPECT_EQ(Error("format: DATASET_MSRVTT annotation_dir: 'a' train_split: '10k'"),
            "data.train_split: \"10k\" is not a MSR-VTT train split; valid: \"9k\", \"7k\", "
            "\"full\" (the default is \"9k\")");
  EXPECT_THAT(Error("format: DATASET_ACTIVITYNET annotation_dir: 'a' eval_split: 'test'"),
              HasSubstr("valid: \"val_1\", \"val_2\""));
  EXPECT_THAT(Error("format: DATASET_CSV train_annotation: 't.csv' train_split: 'train'"),
              HasSubstr("data.train_split: CSV data has no named splits"));
}

}  // namespace
}  // namespace camoe::data
