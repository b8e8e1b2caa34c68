// camoe's own tensor file format, for weights and checkpoints. Torch-free: it
// moves named byte buffers with a dtype and shape; worker/model converts them
// to and from tensors.
//
// Layout (all integers little-endian):
//   [0, 8)    magic "CAMOETF1"
//   [8, 16)   uint64 header size H
//   [16, 20)  uint32 CRC-32 of the header bytes
//   [20, 20+H) TensorFileHeader (proto/camoe/tensor_file.proto), serialized
//   padding to a multiple of 64, then the data section: each tensor's bytes at
//   its header offset (64-byte aligned), in header order.
//
// Guarantees: a write is atomic (temporary file, fsync, rename), so a crash
// leaves the previous file or the complete new one. A read verifies the magic,
// the header CRC, that every tensor lies inside the file (truncation) and every
// tensor's CRC-32, and names the tensor that fails. Thread-safe (no state).
#ifndef CAMOE_COMMON_TENSOR_FILE_H_
#define CAMOE_COMMON_TENSOR_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/tensor_file.pb.h"

namespace camoe {

struct NamedBuffer {
  std::string name;
  TensorDtype dtype = DTYPE_FLOAT32;
  std::vector<int64_t> shape;
  std::string bytes;  // row-major, native (little-endian) byte order
};

struct TensorFileContents {
  TensorFileHeader header;  // as stored (offsets, CRCs, model config, metadata)
  std::vector<NamedBuffer> tensors;
};

inline constexpr char kTensorFileMagic[] = "CAMOETF1";
inline constexpr uint32_t kTensorFileVersion = 1;

// Bytes per element of `dtype`; 0 for DTYPE_UNSPECIFIED.
int DtypeSize(TensorDtype dtype);

// "float32", "float16", ... as PyTorch spells them; "unspecified" otherwise.
const char* DtypeName(TensorDtype dtype);

// True if `data` starts with the tensor-file magic.
bool LooksLikeTensorFile(std::string_view data);

// Serializes to bytes. `header_fields` supplies model/metadata; its tensor list
// is ignored and rebuilt. Errors: a shape that does not match the byte count,
// a duplicate name.
absl::StatusOr<std::string> EncodeTensorFile(const std::vector<NamedBuffer>& tensors,
                                             const TensorFileHeader& header_fields);

// Parses and verifies `data` read from `source` (named in errors).
absl::StatusOr<TensorFileContents> DecodeTensorFile(std::string_view data, const std::string& source);

// EncodeTensorFile + WriteFileAtomically.
absl::Status WriteTensorFile(const std::string& path, const std::vector<NamedBuffer>& tensors,
                             const TensorFileHeader& header_fields);

// ReadFile + DecodeTensorFile.
absl::StatusOr<TensorFileContents> ReadTensorFile(const std::string& path);

}  // namespace camoe

#endif  // CAMOE_COMMON_TENSOR_FILE_H_
