#include "common/tensor_file.h"


#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/bytes.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace camoe {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kPreambleSize = 20;  // magic + header size + header CRC

size_t AlignUp(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Element count of `shape`, or -1 on a negative dimension or overflow.
int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > (int64_t{1} << 50) / d)) return -1;
    n *= d;
  }
  return n;
}

}  // namespace

int DtypeSize(TensorDtype dtype) {
  switch (dtype) {
    case DTYPE_FLOAT32:
    case DTYPE_INT32:
      return 4;
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
      return 2;
    case DTYPE_INT64:
    case DTYPE_FLOAT64:
      return 8;
    case DTYPE_UINT8:
      return 1;
    default:
      return 0;
  }
}

const char* DtypeName(TensorDtype dtype) {
  switch (dtype) {
    case DTYPE_FLOAT32: return "float32";
    case DTYPE_FLOAT16: return "float16";
    case DTYPE_BFLOAT16: return "bfloat16";
    case DTYPE_FLOAT64: return "float64";
    case DTYPE_INT64: return "int64";
    case DTYPE_INT32: return "int32";
    case DTYPE_UINT8: return "uint8";
    default: return "unspecified";
  }
}

bool LooksLikeTensorFile(std::string_view data) {
  return data.size() >= 8 && std::memcmp(data.data(), kTensorFileMagic, 8) == 0;
}

absl::StatusOr<std::string> EncodeTensorFile(const std::vector<NamedBuffer>& tensors,
                                             const TensorFileHeader& header_fields) {
  TensorFileHeader header = header_fields;
  header.clear_tensors();
  header.set_format_version(kTensorFileVersion);
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const NamedBuffer& t : tensors) {
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name '", t.name, "'"));
    }
    int64_t elements = NumElements(t.shape);
    if (DtypeSize(t.dtype) == 0 || elements < 0 ||
        static_cast<uint64_t>(elements) * DtypeSize(t.dtype) != t.bytes.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name, "': shape ", ShapeString(t.shape), " of ",
                       DtypeName(t.dtype), " does not match ", t.bytes.size(), " bytes"));
    }
    TensorFileEntry* entry = header.add_tensors();
    entry->set_name(t.name);
    entry->set_dtype(t.dtype);
    for (int64_t d : t.shape) entry->add_shape(d);
    entry->set_offset(offset);
    entry->set_nbytes(t.bytes.size());
    entry->set_crc32(Crc32(t.bytes));
    offset = AlignUp(offset + t.bytes.size());
  }
  std::string header_bytes;
  if (!header.SerializeToString(&header_bytes)) {
    return absl::InternalError("cannot serialize the tensor file header");
  }
  std::string out;
  out.reserve(AlignUp(kPreambleSize + header_bytes.size()) + offset);
  out.append(kTensorFileMagic, 8);
  AppendLittleEndian(&out, header_bytes.size(), 8);
  AppendLittleEndian(&out, Crc32(header_bytes), 4);
  out += header_bytes;
  out.resize(AlignUp(out.size()), '\0');
  const size_t data_start = out.size();
  for (int i = 0; i < header.tensors_size(); ++i) {
    out.resize(data_start + header.tensors(i).offset(), '\0');
    out += tensors[i].bytes;
  }
  return out;
}

absl::StatusOr<TensorFileContents> DecodeTensorFile(std::string_view data, const std::string& source) {
  if (!LooksLikeTensorFile(data)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a camoe tensor file (bad magic)"));
  }
  if (data.size() < kPreambleSize) {
    return absl::DataLossError(absl::StrCat(source, ": truncated in the preamble"));
  }
  uint64_t header_size = ReadLittleEndian(data, 8, 8);
  uint32_t header_crc = static_cast<uint32_t>(ReadLittleEndian(data, 16, 4));
  if (header_size > data.size() - kPreambleSize) {
    return absl::DataLossError(absl::StrCat(source, ": truncated in the header (file has ",
                                            data.size(), " bytes, header needs ",
                                            kPreambleSize + header_size, ")"));
  }
  std::string_view header_bytes = data.substr(kPreambleSize, header_size);
  if (Crc32(header_bytes) != header_crc) {
    return absl::DataLossError(absl::StrCat(source, ": header checksum mismatch (corrupt file)"));
  }
  TensorFileContents contents;
  if (!contents.header.ParseFromArray(header_bytes.data(), static_cast<int>(header_bytes.size()))) {
    return absl::DataLossError(absl::StrCat(source, ": header does not parse"));
  }
  if (contents.header.format_version() != kTensorFileVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(source, ": format version ", contents.header.format_version(),
                     " is not supported (this build reads version ", kTensorFileVersion, ")"));
  }
  const size_t data_start = AlignUp(kPreambleSize + header_size);
  for (const TensorFileEntry& entry : contents.header.tensors()) {
    NamedBuffer t;
    t.name = entry.name();
    t.dtype = entry.dtype();
    t.shape.assign(entry.shape().begin(), entry.shape().end());
    int64_t elements = NumElements(t.shape);
    if (DtypeSize(t.dtype) == 0 || elements < 0 ||
        static_cast<uint64_t>(elements) * DtypeSize(t.dtype) != entry.nbytes()) {
      return absl::DataLossError(absl::StrCat(source, ": tensor '", t.name,
                                              "' has an inconsistent shape ", ShapeString(t.shape),
                                              " for ", entry.nbytes(), " bytes"));
    }
    if (data_start > data.size() || entry.offset() > data.size() - data_start ||
        entry.nbytes() > data.size() - data_start - entry.offset()) {
      return absl::DataLossError(absl::StrCat(source, ": truncated: tensor '", t.name,
                                              "' lies beyond the end of the file (", data.size(),
                                              " bytes)"));
    }
    std::string_view bytes = data.substr(data_start + entry.offset(), entry.nbytes());
    if (Crc32(bytes) != entry.crc32()) {
      return absl::DataLossError(
          absl::StrCat(source, ": checksum mismatch in tensor '", t.name, "' (corrupt file)"));
    }
    t.bytes = std::string(bytes);
    contents.tensors.push_back(std::move(t));
  }
  return contents;
}

absl::Status WriteTensorFile(const std::string& path, const std::vector<NamedBuffer>& tensors,
                             const TensorFileHeader& header_fields) {
  CAMOE_ASSIGN_OR_RETURN(std::string bytes, EncodeTensorFile(tensors, header_fields));
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<TensorFileContents> ReadTensorFile(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodeTensorFile(bytes, path);
}

}  // namespace camoe
