// The README's main job learns: configs/demo.pbtxt, trained from scratch on the
// embedded synthetic dataset, retrieves far above chance. Label slow (about two
// minutes on 2 cores).
#include <gtest/gtest.h>

#include <sstream>

#include "common/config.h"
#include "tests/test_paths.h"
#include "worker/dist/thread_communicator.h"
#include "worker/train/trainer.h"
#include "worker/video/synthetic.h"

namespace camoe {
namespace {

TEST(DemoLearnsTest, TestRecallIsWellAboveChance) {
  const std::string dir = testing::TempDir("demo_learns");
  video::SyntheticOptions data;  // the demo's: 200 videos, seed 1
  data.videos = 200;
  data.seed = 1;
  ASSERT_TRUE(video::WriteSyntheticDataset(dir + "/data", data).ok());
  auto spec = LoadJobSpec(testing::SourceDir() + "/configs/demo.pbtxt");
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->mutable_data()->set_annotation_dir(dir + "/data");
  spec->mutable_data()->set_video_dir(dir + "/data/videos/all");
  spec->mutable_checkpoint()->set_dir(dir + "/checkpoints");
  ThreadWorld world(1);
  auto comm = world.Connect(0);
  std::ostringstream log;
  TrainerOptions options;
  options.log = &log;
  options.default_vocab_path = testing::BpeVocabPath();
  auto trainer = Trainer::Create(*spec, comm.get(), options);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto summary = (*trainer)->Run();
  ASSERT_TRUE(summary.ok()) << summary.status() << "\n" << log.str();
  const EvaluationResult& eval = summary->final_evaluation;
  ASSERT_FALSE(eval.streams.empty());
  const StreamEvaluation& fusion = eval.streams[0];
  ASSERT_EQ(fusion.stream, kFusion);
  const double chance_r1 = 100.0 / fusion.videos;
  const double chance_mdr = (fusion.videos + 1) / 2.0;
  std::printf("%s", FormatEvaluation(eval).c_str());
  std::printf("chance: R@1 %.1f, MdR %.1f\n", chance_r1, chance_mdr);
  // Margins, not exact values: a run scores R@1 around 15 with 46 test videos.
  EXPECT_GT(fusion.report.t2v.r1, 3 * chance_r1);
  EXPECT_GT(fusion.report.v2t.r1, 3 * chance_r1);
  EXPECT_LT(fusion.report.t2v.mdr, chance_mdr / 2);
  // The gate learned something other than a uniform mix.
  EXPECT_GT(std::abs(eval.gate_mean[kFusion] - 1.0 / 3) + std::abs(eval.gate_mean[kEntity] - 1.0 / 3),
            0.05);
}

}  // namespace
}  // namespace camoe
