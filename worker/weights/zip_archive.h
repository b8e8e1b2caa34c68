// A read-only view of a zip archive held in memory (usually a MappedFile), as
// written by torch.save and torch.jit.save: entries are located through the
// central directory (zip64 included), read in place when stored and inflated
// when deflated, and checked against their CRC-32. Torch-free, so weight files
// can be inspected and fuzzed without libtorch.
//
// The archive does not own the bytes: the caller keeps them alive. Const
// methods are safe to call from several threads.
#ifndef CAMOE_WORKER_WEIGHTS_ZIP_ARCHIVE_H_
#define CAMOE_WORKER_WEIGHTS_ZIP_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace camoe {

class ZipArchive {
 public:
  struct Entry {
    std::string name;
    uint64_t data_offset = 0;       // of the (possibly compressed) bytes
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
    uint32_t crc32 = 0;
    uint16_t method = 0;            // 0 stored, 8 deflated
  };

  // True if `data` starts with a zip local file header.
  static bool LooksLikeZip(std::string_view data);

  // Parses the central directory of `data`. `source` names the file in errors.
  // A truncated archive or one whose directory points outside the data is
  // DataLoss.
  static absl::StatusOr<ZipArchive> Open(std::string_view data, const std::string& source);

  const std::vector<Entry>& entries() const { return entries_; }
  bool Has(const std::string& name) const { return index_.count(name) > 0; }

  // The entry's bytes, CRC-checked. Stored entries are views into the archive
  // (`storage` untouched); deflated ones are inflated into `storage` and the
  // view points there.
  absl::StatusOr<std::string_view> Read(const std::string& name, std::string* storage) const;

 private:
  ZipArchive(std::string_view data, std::string source) : data_(data), source_(std::move(source)) {}
  absl::Status ParseDirectory();

  std::string_view data_;
  std::string source_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_WEIGHTS_ZIP_ARCHIVE_H_
