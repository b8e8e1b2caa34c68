// Whole-file reads and crash-safe writes. Stateless functions; thread-safe.
#ifndef CAMOE_COMMON_FILE_UTIL_H_
#define CAMOE_COMMON_FILE_UTIL_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace camoe {

// The bytes of `path`. NotFound / PermissionDenied / DataLoss name the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Like ReadFile, but a name ending in ".gz" is gunzipped (truncated or corrupt
// gzip data is DataLoss).
absl::StatusOr<std::string> ReadMaybeGzipFile(const std::string& path);

// Writes `data` to `path` so that a crash at any moment leaves either the old
// file or the complete new one: write to a temporary in the same folder, fsync,
// rename over `path`, fsync the folder. A full disk is an error, never a
// truncated file at `path`.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data);

bool FileExists(const std::string& path);

// A read-only memory map of a whole file: large weight files are parsed in
// place instead of copied. The mapping lives as long as the object; data() is
// safe to read from several threads.
class MappedFile {
 public:
  // NotFound / PermissionDenied name the path. An empty file maps to empty data.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, void* addr, size_t size)
      : path_(std::move(path)), addr_(addr), size_(size) {}
  std::string path_;
  void* addr_;
  size_t size_;
};

}  // namespace camoe

#endif  // CAMOE_COMMON_FILE_UTIL_H_
