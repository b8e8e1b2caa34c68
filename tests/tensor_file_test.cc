#include "common/tensor_file.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/file_util.h"
#include "tests/test_paths.h"

namespace camoe {
namespace {

NamedBuffer FloatBuffer(const std::string& name, std::vector<int64_t> shape, float start) {
  NamedBuffer b;
  b.name = name;
  b.dtype = DTYPE_FLOAT32;
  b.shape = shape;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i) values[i] = start + i;
  b.bytes.assign(reinterpret_cast<const char*>(values.data()), n * sizeof(float));
  return b;
}

class TensorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tensors_ = {FloatBuffer("a.weight", {2, 3}, 1), FloatBuffer("scalar", {}, 7),
                FloatBuffer("b", {5}, -2)};
    header_.mutable_model()->mutable_clip()->set_embed_dim(16);
    (*header_.mutable_metadata())["producer"] = "test";
  }
  std::vector<NamedBuffer> tensors_;
  TensorFileHeader header_;
};

TEST_F(TensorFileTest, RoundTripsNamesShapesBytesAndModel) {
  auto bytes = EncodeTensorFile(tensors_, header_);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto decoded = DecodeTensorFile(*bytes, "mem");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(decoded->tensors[i].name, tensors_[i].name);
    EXPECT_EQ(decoded->tensors[i].shape, tensors_[i].shape);
    EXPECT_EQ(decoded->tensors[i].bytes, tensors_[i].bytes);
    EXPECT_EQ(decoded->header.tensors(i).offset() % 64, 0u);
  }
  EXPECT_EQ(decoded->header.model().clip().embed_dim(), 16);
  EXPECT_EQ(decoded->header.metadata().at("producer"), "test");
}

TEST_F(TensorFileTest, EveryTruncationIsDetected) {
  auto bytes = EncodeTensorFile(tensors_, header_);
  ASSERT_TRUE(bytes.ok());
  // The last tensor ends the file, so every proper prefix loses data.
  for (size_t cut = 0; cut < bytes->size(); ++cut) {
    auto decoded = DecodeTensorFile(std::string_view(*bytes).substr(0, cut), "cut");
    EXPECT_FALSE(decoded.ok()) << "cut at " << cut;
  }
}

TEST_F(TensorFileTest, FlippedDataByteNamesTheTensor) {
  auto bytes = EncodeTensorFile(tensors_, header_);
  ASSERT_TRUE(bytes.ok());
  std::string corrupt = *bytes;
  corrupt[corrupt.size() - 1] ^= 0x01;  // last byte belongs to tensor "b"
  auto decoded = DecodeTensorFile(corrupt, "f.ctf");
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("checksum mismatch in tensor 'b'"), std::string::npos)
      << decoded.status();
}

TEST_F(TensorFileTest, FlippedHeaderByteIsDetected) {
  auto bytes = EncodeTensorFile(tensors_, header_);
  ASSERT_TRUE(bytes.ok());
  std::string corrupt = *bytes;
  corrupt[24] ^= 0x10;
  auto decoded = DecodeTensorFile(corrupt, "f.ctf");
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("header checksum"), std::string::npos);
}

TEST_F(TensorFileTest, RejectsShapeByteMismatchAndDuplicates) {
  tensors_[0].shape = {4, 4};
  EXPECT_EQ(EncodeTensorFile(tensors_, header_).status().code(),
            absl::StatusCode::kInvalidArgument);
  tensors_[0].shape = {2, 3};
  tensors_[1].name = "a.weight";
  auto status = EncodeTensorFile(tensors_, header_).status();
  EXPECT_NE(status.message().find("duplicate tensor name 'a.weight'"), std::string::npos);
}

TEST_F(TensorFileTest, WriteIsAtomicAndReadable) {
  std::string dir = testing::TempDir("tensor_file_test");
  std::string path = dir + "/w.ctf";
  ASSERT_TRUE(WriteTensorFile(path, tensors_, header_).ok());
  auto read = ReadTensorFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->tensors[2].bytes, tensors_[2].bytes);
  EXPECT_FALSE(LooksLikeTensorFile("PK\x03\x04"));
}

}  // namespace
}  // namespace camoe
