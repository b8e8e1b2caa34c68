#include "common/file_util.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "tests/test_paths.h"

namespace camoe {
namespace {

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

TEST(FileUtilTest, ReadsWhatWasWrittenAndReplacesAtomically) {
  std::string dir = testing::TempDir("file_util_test");
  std::string path = dir + "/x.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "second");
}

TEST(FileUtilTest, MissingFileIsNotFoundAndNamesThePath) {
  auto data = ReadFile("/nonexistent/dir/file.bin");
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(data.status().message().find("/nonexistent/dir/file.bin"), std::string::npos);
}

TEST(FileUtilTest, WriteIntoMissingFolderFailsCleanly) {
  EXPECT_FALSE(WriteFileAtomically("/nonexistent/dir/file.bin", "x").ok());
}

TEST(FileUtilTest, GzipRoundTripAndTruncationIsDataLoss) {
  std::string dir = testing::TempDir("file_util_gz");
  std::string text(100000, 'a');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  std::string gz = Gzip(text);
  ASSERT_TRUE(WriteFileAtomically(dir + "/ok.gz", gz).ok());
  auto read = ReadMaybeGzipFile(dir + "/ok.gz");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, text);
  ASSERT_TRUE(WriteFileAtomically(dir + "/cut.gz", gz.substr(0, gz.size() / 2)).ok());
  EXPECT_EQ(ReadMaybeGzipFile(dir + "/cut.gz").status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFileAtomically(dir + "/junk.gz", "not gzip at all").ok());
  EXPECT_EQ(ReadMaybeGzipFile(dir + "/junk.gz").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace camoe
