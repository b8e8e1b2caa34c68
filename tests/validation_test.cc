// ValidateSubmittedSpec: paths confined to the data and checkpoint roots
// ("..", absolute paths elsewhere, symlinks out), relative paths made absolute,
// the default checkpoint.dir, and the config validators' field-naming errors.
#include "coordinator/core/validation.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/coordinator_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

namespace fs = std::filesystem;
using ::camoe::testing::ServiceSpec;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Canonical, so expectations compare with what the validator resolves.
    dir_ = fs::canonical(testing::TempDir("validation_test")).string();
    data_ = dir_ + "/data";
    checkpoints_ = dir_ + "/checkpoints";
    fs::create_directories(data_ + "/msrvtt/videos");
    fs::create_directories(checkpoints_);
    fs::create_directories(dir_ + "/outside");
    options_.data_root = data_;
    options_.checkpoint_root = checkpoints_;
  }

  absl::StatusOr<JobSpec> Validate(const JobSpec& spec) {
    return ValidateSubmittedSpec(spec, "job-000042", options_);
  }

  // Expects InvalidArgument whose message contains every one of `words`.
  void ExpectInvalid(const JobSpec& spec, const std::vector<std::string>& words) {
    auto result = Validate(spec);
    ASSERT_FALSE(result.ok()) << "accepted: " << spec.ShortDebugString();
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
    for (const std::string& w : words) {
      EXPECT_NE(result.status().message().find(w), std::string::npos)
          << "'" << w << "' missing from: " << result.status().message();
    }
  }

  std::string dir_, data_, checkpoints_;
  ValidationOptions options_;
};

TEST_F(ValidationTest, RelativePathsBecomeAbsoluteUnderTheDataRoot) {
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_frame_cache_dir("cache/frames");
  spec.mutable_model()->set_clip_weights("weights/ViT-B-32.pt");
  spec.mutable_tokenizer()->set_vocab_path("./bpe/vocab.txt.gz");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().annotation_dir(), data_ + "/msrvtt");
  EXPECT_EQ(result->data().video_dir(), data_ + "/msrvtt/videos");
  EXPECT_EQ(result->data().frame_cache_dir(), data_ + "/cache/frames");  // need not exist yet
  EXPECT_EQ(result->model().clip_weights(), data_ + "/weights/ViT-B-32.pt");
  EXPECT_EQ(result->tokenizer().vocab_path(), data_ + "/bpe/vocab.txt.gz");
  // Nothing else changes.
  EXPECT_EQ(result->schedule().batch_size(), spec.schedule().batch_size());
  EXPECT_EQ(result->name(), spec.name());
}

TEST_F(ValidationTest, AbsolutePathsInsideTheRootAreNormalised) {
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir(data_ + "/msrvtt/./videos/../");
  spec.mutable_data()->set_video_dir(data_ + "//msrvtt/videos");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().annotation_dir().find(".."), std::string::npos);
  EXPECT_TRUE(fs::equivalent(result->data().annotation_dir(), data_ + "/msrvtt"))
      << result->data().annotation_dir();
  EXPECT_EQ(result->data().video_dir(), data_ + "/msrvtt/videos");
}

TEST_F(ValidationTest, DotDotOutOfTheDataRootIsRejectedNamingTheField) {
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir("../outside");
  ExpectInvalid(spec, {"data.annotation_dir", "../outside", "--data_root", data_});

  spec = ServiceSpec();
  spec.mutable_data()->set_video_dir("msrvtt/../../outside/videos");
  ExpectInvalid(spec, {"data.video_dir", "outside"});

  // ".." that stays inside is fine.
  spec = ServiceSpec();
  spec.mutable_data()->set_video_dir("msrvtt/videos/../videos");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().video_dir(), data_ + "/msrvtt/videos");
}

TEST_F(ValidationTest, AbsolutePathsElsewhereAreRejectedForEveryField) {
  struct Case {
    const char* field;
    void (*set)(JobSpec*, const std::string&);
  };
  const Case cases[] = {
      {"data.annotation_dir", [](JobSpec* s, const std::string& p) { s->mutable_data()->set_annotation_dir(p); }},
      {"data.video_dir", [](JobSpec* s, const std::string& p) { s->mutable_data()->set_video_dir(p); }},
      {"data.frame_cache_dir", [](JobSpec* s, const std::string& p) { s->mutable_data()->set_frame_cache_dir(p); }},
      {"model.clip_weights", [](JobSpec* s, const std::string& p) { s->mutable_model()->set_clip_weights(p); }},
      {"tokenizer.vocab_path", [](JobSpec* s, const std::string& p) { s->mutable_tokenizer()->set_vocab_path(p); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    JobSpec spec = ServiceSpec();
    c.set(&spec, "/etc/passwd");
    ExpectInvalid(spec, {c.field, "/etc/passwd", "outside"});
  }
}

TEST_F(ValidationTest, SiblingFolderSharingTheRootsPrefixIsOutside) {
  fs::create_directories(dir_ + "/data2");
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir(dir_ + "/data2");
  ExpectInvalid(spec, {"data.annotation_dir"});
}

TEST_F(ValidationTest, SymlinkLeavingTheDataRootIsRejected) {
  fs::create_directory_symlink(dir_ + "/outside", data_ + "/escape");
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir("escape/msrvtt");
  ExpectInvalid(spec, {"data.annotation_dir", dir_ + "/outside/msrvtt"});
}

TEST_F(ValidationTest, SymlinkInsideTheDataRootIsResolved) {
  fs::create_directory_symlink(data_ + "/msrvtt", data_ + "/current");
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir("current");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().annotation_dir(), data_ + "/msrvtt");
}

TEST_F(ValidationTest, DataRootThatIsASymlinkStillConfines) {
  fs::create_directory_symlink(data_, dir_ + "/data-link");
  options_.data_root = dir_ + "/data-link";
  JobSpec spec = ServiceSpec();
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().annotation_dir(), data_ + "/msrvtt");
  spec.mutable_data()->set_annotation_dir("../outside");
  ExpectInvalid(spec, {"data.annotation_dir"});
}

TEST_F(ValidationTest, PathWithNulByteIsRejected) {
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_video_dir(std::string("msrvtt\0/../..", 13));
  ExpectInvalid(spec, {"data.video_dir", "NUL"});
}

TEST_F(ValidationTest, CheckpointDirDefaultsToTheRootSlashJobId) {
  auto result = Validate(ServiceSpec());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->checkpoint().dir(), checkpoints_ + "/job-000042");
}

TEST_F(ValidationTest, RelativeCheckpointDirIsUnderTheCheckpointRoot) {
  JobSpec spec = ServiceSpec();
  spec.mutable_checkpoint()->set_dir("team/run1");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->checkpoint().dir(), checkpoints_ + "/team/run1");
}

TEST_F(ValidationTest, CheckpointDirOutsideTheCheckpointRootIsRejected) {
  JobSpec spec = ServiceSpec();
  spec.mutable_checkpoint()->set_dir(data_ + "/msrvtt");  // inside the data root is not enough
  ExpectInvalid(spec, {"checkpoint.dir", "--checkpoint_root", checkpoints_});
  spec.mutable_checkpoint()->set_dir("../data");
  ExpectInvalid(spec, {"checkpoint.dir"});
}

// A root given with a trailing separator, and a path equal to the root itself.
TEST_F(ValidationTest, RootWithTrailingSlashAcceptsItselfAndItsChildren) {
  options_.checkpoint_root = checkpoints_ + "/";
  options_.data_root = dir_ + "/not-yet-created/";
  JobSpec spec = ServiceSpec();
  spec.mutable_checkpoint()->set_dir(checkpoints_);
  spec.mutable_data()->set_annotation_dir(dir_ + "/not-yet-created");
  spec.mutable_data()->set_video_dir(dir_ + "/not-yet-created/videos");
  auto result = Validate(spec);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->checkpoint().dir(), checkpoints_);
  spec.mutable_data()->set_annotation_dir(dir_ + "/not-yet");
  ExpectInvalid(spec, {"data.annotation_dir"});
}

TEST_F(ValidationTest, WithoutRootsPathsAreNotConfined) {
  ValidationOptions open;
  JobSpec spec = ServiceSpec();
  spec.mutable_data()->set_annotation_dir("/srv/datasets/msrvtt");
  auto result = ValidateSubmittedSpec(spec, "job-000001", open);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->data().annotation_dir(), "/srv/datasets/msrvtt");
  EXPECT_TRUE(result->checkpoint().dir().empty());
}

TEST_F(ValidationTest, InvalidSpecsAreRejectedNamingTheField) {
  JobSpec spec = ServiceSpec(2);
  spec.mutable_schedule()->set_batch_size(5);
  ExpectInvalid(spec, {"schedule.batch_size", "divisible", "distributed.world_size"});

  spec = ServiceSpec(2);
  spec.mutable_optimizer()->set_clip_lr(-1e-3);
  ExpectInvalid(spec, {"optimizer.clip_lr"});

  spec = ServiceSpec(2);
  spec.mutable_optimizer()->set_head_lr(0);
  ExpectInvalid(spec, {"optimizer.head_lr"});

  spec = ServiceSpec();
  spec.mutable_distributed()->set_world_size(0);
  ExpectInvalid(spec, {"distributed.world_size"});

  spec = ServiceSpec();
  spec.mutable_data()->clear_format();
  spec.mutable_data()->clear_annotation_dir();
  spec.mutable_data()->clear_train_split();
  spec.mutable_data()->clear_eval_split();
  ExpectInvalid(spec, {"data.format"});

  spec = ServiceSpec();
  spec.mutable_data()->set_num_frames(0);
  ExpectInvalid(spec, {"data.num_frames"});

  spec = ServiceSpec();
  spec.mutable_tokenizer()->set_max_words(64);  // longer than the text context (16)
  ExpectInvalid(spec, {"tokenizer.max_words"});
}

TEST_F(ValidationTest, WorldSizeAboveTheServiceLimitIsRejected) {
  options_.max_world_size = 4;
  auto ok = Validate(ServiceSpec(4));
  EXPECT_TRUE(ok.ok()) << ok.status();
  ExpectInvalid(ServiceSpec(8), {"distributed.world_size", "8", "limit of 4"});
}

}  // namespace
}  // namespace camoe::coordinator
