// Annotation loaders on the hand-written fixtures in tests/data/datasets, the
// errors they give for bad files, and video path resolution.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/data/dataset.h"
#include "worker/data/loaders.h"
#include "worker/data/video_paths.h"

namespace camoe::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return testing::SourceDir() + "/tests/data/datasets/" + name;
}

std::vector<std::string> Ids(const DatasetSplit& split) {
  std::vector<std::string> ids;
  for (const VideoRecord& v : split.videos) ids.push_back(v.id);
  return ids;
}

// "video id: caption" per caption, in order.
std::vector<std::string> Pairs(const DatasetSplit& split) {
  std::vector<std::string> pairs;
  for (const CaptionRecord& c : split.captions) {
    pairs.push_back(split.videos[c.video].id + ": " + c.text);
  }
  return pairs;
}

void WriteText(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(MsrvttLoaderTest, NineKTrainTakesEveryCaptionOfItsVideosInJsonOrder) {
  auto split = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kTrain, "9k");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->split_name, "9k");
  EXPECT_THAT(Ids(*split), ElementsAre("video0", "video1", "video2", "video3"));
  EXPECT_THAT(Pairs(*split),
              ElementsAre("video0: a car is shown", "video1: a woman is cooking",
                          "video0: a red car drives on a road", "video2: a man plays the guitar",
                          "video1: someone cooks pasta", "video3: a cartoon dog runs",
                          "video2: music plays while someone strums"));
  EXPECT_TRUE(split->warnings.empty());
}

TEST(MsrvttLoaderTest, SplitNamesAreCaseInsensitiveAndDefaulted) {
  auto seven = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kTrain, "7K");
  ASSERT_TRUE(seven.ok()) << seven.status();
  EXPECT_EQ(seven->split_name, "7k");
  EXPECT_THAT(Ids(*seven), ElementsAre("video0", "video2"));
  EXPECT_EQ(seven->captions.size(), 4u);
  auto by_default = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kTrain);
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(by_default->split_name, "9k");
}

TEST(MsrvttLoaderTest, JsFusionTestReadsOnlyTheCsv) {
  auto split = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kEval, "1k-A");
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->split_name, "1k-a");
  EXPECT_THAT(Pairs(*split), ElementsAre("video4: people dance, sing and \"party\""));
  EXPECT_THAT(split->videos[0].path_hints, ElementsAre("video4"));
  EXPECT_EQ(split->videos[0].start_seconds, -1);
}

TEST(MsrvttLoaderTest, FullSplitsUseListFilesOrTheJsonSplitField) {
  auto test = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kEval, "full");  // MSRVTT_test.full.csv
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_THAT(Pairs(*test), ElementsAre("video4: people dance at a party", "video4: a crowd dances"));
  EXPECT_THAT(test->source, HasSubstr("MSRVTT_test.full.csv"));
  auto val = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kEval, "val");  // no list: json "validate"
  ASSERT_TRUE(val.ok()) << val.status();
  EXPECT_THAT(Pairs(*val), ElementsAre("video3: a cartoon dog runs"));
  EXPECT_THAT(val->source, HasSubstr("\"split\": \"validate\""));
  auto train = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kTrain, "full");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_THAT(Ids(*train), ElementsAre("video0", "video1", "video2"));
  EXPECT_EQ(train->captions.size(), 6u);
}

TEST(MsrvttLoaderTest, UnknownSplitListsTheValidOnes) {
  auto split = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kEval, "1k-b");
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(split.status()),
            "data.eval_split: \"1k-b\" is not a MSR-VTT eval split; valid: \"1k-a\", \"full\", "
            "\"val\" (the default is \"1k-a\")");
}

TEST(MsrvttLoaderTest, MissingCaptionJsonSaysWhereToGetIt) {
  std::string dir = testing::TempDir("msrvtt_no_json");
  WriteText(dir + "/MSRVTT_train.9k.csv", "video_id\nvideo0\n");
  auto split = LoadMsrvtt(dir, SplitRole::kTrain, "9k");
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(split.status()), HasSubstr("MSRVTT_data.json: annotation file not found"));
  EXPECT_THAT(Message(split.status()), HasSubstr("msrvtt_data.zip"));
}

TEST(MsrvttLoaderTest, WrongJsonTypeNamesFileLineAndJsonPath) {
  std::string dir = testing::TempDir("msrvtt_bad_json");
  WriteText(dir + "/MSRVTT_train.9k.csv", "video_id\nvideo0\n");
  WriteText(dir + "/MSRVTT_data.json",
            "{\"videos\": [],\n \"sentences\": [\n  {\"video_id\": \"video0\", \"caption\": 7}]}");
  auto split = LoadMsrvtt(dir, SplitRole::kTrain, "9k");
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(split.status()),
              HasSubstr("MSRVTT_data.json:3: $[\"sentences\"][0][\"caption\"]: expected a string, "
                        "found number"));
}

TEST(MsrvttLoaderTest, MalformedJsonNamesLineAndColumn) {
  std::string dir = testing::TempDir("msrvtt_broken_json");
  WriteText(dir + "/MSRVTT_train.9k.csv", "video_id\nvideo0\n");
  WriteText(dir + "/MSRVTT_data.json", "{\"videos\": [],\n \"sentences\": [\n  {\"video_id\" \"x\"}]}");
  auto split = LoadMsrvtt(dir, SplitRole::kTrain, "9k");
  ASSERT_FALSE(split.ok());
  EXPECT_THAT(Message(split.status()), HasSubstr("MSRVTT_data.json:3:15: expected ':'"));
}

TEST(MsvdLoaderTest, EveryCaptionOfEveryListedClip) {
  auto train = LoadMsvd(Fixture("msvd"), SplitRole::kTrain, "");
  ASSERT_TRUE(train.ok()) << train.status();
  // train_list.txt has no final newline; its third clip has no captions.
  EXPECT_THAT(Ids(*train), ElementsAre("-4wsuPCjDBc_5_15", "-7KMZQEsJW4_205_208"));
  EXPECT_EQ(train->captions.size(), 5u);
  ASSERT_EQ(train->warnings.size(), 1u);
  EXPECT_THAT(train->warnings[0], HasSubstr("1 listed videos have no captions"));
  EXPECT_THAT(train->warnings[0], HasSubstr("missing_clip_1_2"));

  auto test = LoadMsvd(Fixture("msvd"), SplitRole::kEval, "");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->split_name, "test");
  // A token list (raw-captions.pkl's form) is joined with spaces.
  EXPECT_THAT(Pairs(*test), ElementsAre("0lh_UWF9ZP4_62_69: a woman is dancing",
                                        "0lh_UWF9ZP4_62_69: a girl dances"));
  auto val = LoadMsvd(Fixture("msvd"), SplitRole::kEval, "val");
  ASSERT_TRUE(val.ok()) << val.status();
  EXPECT_THAT(Ids(*val), ElementsAre("9bYV4ekuJ5s_1_10"));
}

TEST(LsmdcLoaderTest, TabSeparatedRowsKeepQuotesAndHintTheMovieFolder) {
  auto train = LoadLsmdc(Fixture("lsmdc"), SplitRole::kTrain, "");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_EQ(train->videos.size(), 3u);
  EXPECT_EQ(train->captions[1].text, "He says \"hello\" and leaves.");
  EXPECT_THAT(train->videos[0].path_hints,
              ElementsAre("0001_Movie_A_00.00.51.926-00.00.54.129",
                          "0001_Movie_A/0001_Movie_A_00.00.51.926-00.00.54.129"));
  EXPECT_EQ(train->videos[0].start_seconds, -1);  // clip files are used whole

  auto test = LoadLsmdc(Fixture("lsmdc"), SplitRole::kEval, "");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_THAT(test->source, HasSubstr("LSMDC16_challenge_1000_publictect.csv"));
  EXPECT_EQ(test->captions.size(), 2u);
  EXPECT_EQ(test->captions[1].text, "SOMEONE waves \"goodbye.");

  auto val = LoadLsmdc(Fixture("lsmdc"), SplitRole::kEval, "val");  // CRLF line ending
  ASSERT_TRUE(val.ok()) << val.status();
  EXPECT_THAT(Pairs(*val), ElementsAre("0003_Movie_C_00.00.01.000-00.00.04.000: SOMEONE smiles."));
}

TEST(LsmdcLoaderTest, WrongFieldCountNamesTheLine) {
  std::string dir = testing::TempDir("lsmdc_bad");
  WriteText(dir + "/LSMDC16_annos_training.csv",
            "c1\t0\t1\t0\t1\tfine.\nc2,0,1,0,1,commas are not the separator\n");
  auto split = LoadLsmdc(dir, SplitRole::kTrain, "train");
  ASSERT_FALSE(split.ok());
  EXPECT_THAT(Message(split.status()),
              HasSubstr("LSMDC16_annos_training.csv:2: 1 tab-separated fields; LSMDC16 rows have 6"));
}

TEST(ActivityNetLoaderTest, ParagraphOfTrimmedSentencesAgainstTheWholeVideo) {
  auto train = LoadActivityNet(Fixture("activitynet"), SplitRole::kTrain, "");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_THAT(Pairs(*train),
              ElementsAre("v_QOlSCBRmfWY: A young woman is seen standing in a room. The girl "
                          "dances around the room.",
                          "v_--0edUL8zmA: A pi\xC3\xB1" "ata hangs from a tree. Kids hit it."));
  EXPECT_THAT(train->videos[0].path_hints, ElementsAre("v_QOlSCBRmfWY", "QOlSCBRmfWY"));
  EXPECT_EQ(train->videos[0].start_seconds, -1);
  EXPECT_EQ(train->videos[0].end_seconds, -1);

  auto val2 = LoadActivityNet(Fixture("activitynet"), SplitRole::kEval, "val_2");
  ASSERT_TRUE(val2.ok()) << val2.status();
  EXPECT_THAT(Ids(*val2), ElementsAre("v_uqiMw7tQ1Cc"));  // v_empty has no sentences
  EXPECT_EQ(val2->warnings.size(), 1u);
  auto val1 = LoadActivityNet(Fixture("activitynet"), SplitRole::kEval, "");
  ASSERT_TRUE(val1.ok()) << val1.status();
  EXPECT_EQ(val1->split_name, "val_1");
}

TEST(DidemoLoaderTest, ParagraphPerVideoKeyedByNameWithoutExtension) {
  auto test = LoadDidemo(Fixture("didemo"), SplitRole::kEval, "");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_THAT(Pairs(*test),
              ElementsAre("111@N01_1000_aaaa: the man in the hat bends over camera pans left",
                          "222@N00_2000_bbbb: the baby is first shown.",
                          "333@N03_3000_cccc: a bird flies by"));
  // The same video under .mov and .mp4, then the bare name for probing.
  EXPECT_THAT(test->videos[0].path_hints,
              ElementsAre("111@N01_1000_aaaa.mov", "111@N01_1000_aaaa", "111@N01_1000_aaaa.mp4"));
  EXPECT_THAT(test->videos[2].path_hints, ElementsAre("333@N03_3000_cccc"));  // "name." on disk
  EXPECT_EQ(test->videos[0].start_seconds, 0);
  EXPECT_EQ(test->videos[0].end_seconds, 30);
  auto train = LoadDidemo(Fixture("didemo"), SplitRole::kTrain, "");
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_THAT(Pairs(*train), ElementsAre("444@N04_4000_dddd: a dog runs fast"));
}

TEST(UserFormatTest, JsonlCollectsCaptionsPerVideoAndSegment) {
  auto split = LoadJsonl(Fixture("user/clips.jsonl"));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->format, DATASET_JSONL);
  EXPECT_EQ(split->split_name, "clips.jsonl");
  EXPECT_THAT(Ids(*split), ElementsAre("videos/a.mp4", "videos/b.mkv#1.5-9", "b-second-half"));
  EXPECT_THAT(Pairs(*split),
              ElementsAre("videos/a.mp4: a dog catches a frisbee", "videos/a.mp4: a dog jumps",
                          "videos/b.mkv#1.5-9: two people talk", "videos/b.mkv#1.5-9: an interview",
                          "b-second-half: a man answers a question"));
  EXPECT_EQ(split->videos[1].start_seconds, 1.5);
  EXPECT_EQ(split->videos[1].end_seconds, 9);
  EXPECT_EQ(split->videos[2].start_seconds, 10);
  EXPECT_EQ(split->videos[2].end_seconds, -1);
  EXPECT_EQ(split->annotation_dir, Fixture("user"));
}

TEST(UserFormatTest, CsvHandlesQuotedCommasQuotesAndLineBreaks) {
  auto split = LoadCsv(Fixture("user/clips.csv"));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_THAT(Pairs(*split),
              ElementsAre("videos/a.mp4: a dog, a ball and a \"frisbee\"",
                          "videos/b.mkv#1.5-9: two people talk\nabout the weather",
                          "videos/b.mkv#1.5-9: an interview"));
}

TEST(UserFormatTest, JsonlErrorsNameTheLine) {
  std::string dir = testing::TempDir("jsonl_errors");
  struct Case {
    std::string line;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"video": "a.mp4", "captoin": "x"})", "unknown key \"captoin\" (did you mean \"caption\"?)"},
           {R"({"video": "a.mp4"})", "no caption"},
           {R"({"caption": "x"})", "the key \"video\" is missing"},
           {R"({"video": "a.mp4", "caption": "x", "start": "1"})", "\"start\" must be a number"},
           {R"({"video": "a.mp4", "caption": "x", "start": 5, "end": 2})", "end 2 is not after start 5"},
           {R"({"video": "a.mp4", "caption": "x",})", ":2:35: trailing comma"},
           {R"(["a.mp4", "x"])", "expected one JSON object per line, found array"},
       }) {
    WriteText(dir + "/bad.jsonl", "{\"video\": \"ok.mp4\", \"caption\": \"fine\"}\n" + c.line + "\n");
    auto split = LoadJsonl(dir + "/bad.jsonl");
    ASSERT_FALSE(split.ok()) << c.line;
    EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(split.status()), HasSubstr("bad.jsonl:2")) << c.line;
    EXPECT_THAT(Message(split.status()), HasSubstr(c.expected)) << c.line;
  }
}

TEST(UserFormatTest, AnIdMustNameOneVideo) {
  std::string dir = testing::TempDir("jsonl_ids");
  WriteText(dir + "/ids.jsonl",
            "{\"id\": \"x\", \"video\": \"a.mp4\", \"caption\": \"one\"}\n"
            "{\"id\": \"x\", \"video\": \"b.mp4\", \"caption\": \"two\"}\n");
  auto split = LoadJsonl(dir + "/ids.jsonl");
  ASSERT_FALSE(split.ok());
  EXPECT_THAT(Message(split.status()),
              HasSubstr("ids.jsonl:2: id \"x\" was given to a different video or segment at line 1"));
}

TEST(UserFormatTest, CsvErrorsNameTheLineOrColumn) {
  std::string dir = testing::TempDir("csv_errors");
  WriteText(dir + "/a.csv", "video,captions\nx.mp4,hi\n");
  auto unknown = LoadCsv(dir + "/a.csv");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(Message(unknown.status()),
              HasSubstr("a.csv:1: unknown column \"captions\" (did you mean \"caption\"?)"));
  WriteText(dir + "/b.csv", "video,caption\nx.mp4,a, b\n");
  auto fields = LoadCsv(dir + "/b.csv");
  ASSERT_FALSE(fields.ok());
  EXPECT_THAT(Message(fields.status()), HasSubstr("b.csv:2: 3 fields, but the header has 2"));
  WriteText(dir + "/c.csv", "video,caption,start\nx.mp4,a,soon\n");
  auto time = LoadCsv(dir + "/c.csv");
  ASSERT_FALSE(time.ok());
  EXPECT_THAT(Message(time.status()), HasSubstr("c.csv:2: start \"soon\" is not a number"));
  WriteText(dir + "/d.csv", "caption\nhi\n");
  auto missing = LoadCsv(dir + "/d.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(Message(missing.status()), HasSubstr("no \"video\" column"));
}

TEST(LoadSplitTest, DispatchesOnTheConfig) {
  DataConfig config;
  config.set_format(DATASET_MSVD);
  config.set_annotation_dir(Fixture("msvd"));
  config.set_eval_split("VAL");
  auto val = LoadSplit(config, SplitRole::kEval);
  ASSERT_TRUE(val.ok()) << val.status();
  EXPECT_EQ(DescribeSplit(*val), "MSVD val: 1 videos, 1 captions (1.0 per video)");

  DataConfig user;
  user.set_format(DATASET_CSV);
  user.set_annotation_dir(Fixture("user"));
  user.set_train_annotation("clips.csv");  // relative to annotation_dir
  auto train = LoadSplit(user, SplitRole::kTrain);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(train->captions.size(), 3u);
  auto eval = LoadSplit(user, SplitRole::kEval);
  ASSERT_FALSE(eval.ok());
  EXPECT_THAT(Message(eval.status()), HasSubstr("data.eval_annotation is empty"));

  auto none = LoadSplit(DataConfig(), SplitRole::kTrain);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(Message(none.status()), HasSubstr("data.format is not set"));
}

class VideoPathTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("video_paths"); }
  void Touch(const std::string& relative) { WriteText(dir_ + "/" + relative, "x"); }
  std::string dir_;
};

TEST_F(VideoPathTest, ProbesExtensionsAndCountsMissingVideos) {
  Touch("videos/video0.mp4");
  Touch("videos/video1.avi");
  // A folder named like a video is not a video.
  std::filesystem::create_directories(dir_ + "/videos/video2");
  auto split = LoadMsrvtt(Fixture("msrvtt"), SplitRole::kTrain, "9k");
  ASSERT_TRUE(split.ok()) << split.status();
  VideoPathOptions options;
  options.video_dir = dir_ + "/videos";
  VideoPathReport report = ResolveVideoPaths(options, &*split);
  EXPECT_EQ(report.found, 2);
  EXPECT_EQ(report.missing, 2);
  EXPECT_EQ(split->videos[0].path, dir_ + "/videos/video0.mp4");
  EXPECT_EQ(split->videos[1].path, dir_ + "/videos/video1.avi");
  EXPECT_EQ(split->videos[2].path, "");
  std::string text = DescribeVideoPathReport(report);
  EXPECT_THAT(text, HasSubstr("2 of 4 videos found; 2 missing, e.g. video2 (looked for "));
  EXPECT_THAT(text, HasSubstr("/videos/video2[.mp4|.avi|.webm|.mkv|.mov]"));
}

TEST_F(VideoPathTest, DatasetSpecificHints) {
  Touch("lsmdc/0001_Movie_A/0001_Movie_A_00.00.51.926-00.00.54.129.avi");
  Touch("anet/QOlSCBRmfWY.mp4");
  Touch("didemo/111@N01_1000_aaaa.mp4");
  Touch("didemo/222@N00_2000_bbbb.3gp");
  auto lsmdc = LoadLsmdc(Fixture("lsmdc"), SplitRole::kTrain, "");
  ASSERT_TRUE(lsmdc.ok());
  EXPECT_EQ(ResolveVideoPaths({dir_ + "/lsmdc", {}}, &*lsmdc).found, 1);
  auto anet = LoadActivityNet(Fixture("activitynet"), SplitRole::kTrain, "");
  ASSERT_TRUE(anet.ok());
  EXPECT_EQ(ResolveVideoPaths({dir_ + "/anet", {}}, &*anet).found, 1);
  EXPECT_EQ(anet->videos[0].path, dir_ + "/anet/QOlSCBRmfWY.mp4");

  DataConfig config;
  config.set_format(DATASET_DIDEMO);
  config.set_video_dir(dir_ + "/didemo");
  auto didemo = LoadDidemo(Fixture("didemo"), SplitRole::kEval, "");
  ASSERT_TRUE(didemo.ok());
  VideoPathReport report = ResolveVideoPaths(VideoPathOptionsFromConfig(config), &*didemo);
  EXPECT_EQ(report.found, 2);  // .mov converted to .mp4, and the original .3gp
  EXPECT_EQ(didemo->videos[0].path, dir_ + "/didemo/111@N01_1000_aaaa.mp4");
  EXPECT_EQ(didemo->videos[1].path, dir_ + "/didemo/222@N00_2000_bbbb.3gp");
}

TEST_F(VideoPathTest, UserPathsAreRelativeToVideoDirThenTheAnnotationFolder) {
  WriteText(dir_ + "/ann/clips.jsonl",
            "{\"video\": \"videos/a.mp4\", \"caption\": \"a\"}\n"
            "{\"video\": \"videos/b\", \"caption\": \"b\"}\n"
            "{\"video\": \"" + dir_ + "/abs/c.webm\", \"caption\": \"c\"}\n");
  Touch("ann/videos/a.mp4");  // next to the annotation file
  Touch("root/videos/b.mkv");  // under video_dir, extension probed
  Touch("abs/c.webm");
  auto split = LoadJsonl(dir_ + "/ann/clips.jsonl");
  ASSERT_TRUE(split.ok()) << split.status();
  VideoPathReport report = ResolveVideoPaths({dir_ + "/root", {}}, &*split);
  EXPECT_EQ(report.missing, 0) << DescribeVideoPathReport(report);
  EXPECT_EQ(split->videos[0].path, dir_ + "/ann/videos/a.mp4");
  EXPECT_EQ(split->videos[1].path, dir_ + "/root/videos/b.mkv");
  EXPECT_EQ(split->videos[2].path, dir_ + "/abs/c.webm");
}

TEST(BadVideoFractionTest, FailsOnlyAboveTheLimit) {
  EXPECT_TRUE(CheckBadVideoFraction(0, 100, 0, "MSVD test").ok());
  EXPECT_TRUE(CheckBadVideoFraction(1, 100, 0.01, "MSVD test").ok());
  absl::Status status = CheckBadVideoFraction(2, 100, 0.01, "MSVD test");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Message(status), HasSubstr("MSVD test: 2 of 100 videos (2.00%) are missing or unreadable"));
  EXPECT_THAT(Message(status), HasSubstr("data.max_bad_video_fraction"));
}

}  // namespace
}  // namespace camoe::data
