// FrameCacheWriter: streams videos into shard files; see frame_cache.h.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/data/frame_cache.h"
#include "worker/data/frame_cache_format.h"

namespace camoe::data {
namespace {

namespace fs = std::filesystem;
using internal::kFrameAlignment;
using internal::kFrameCacheVersion;

absl::Status ErrnoError(const std::string& path, const std::string& what, int err) {
  std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  if (err == ENOSPC) return absl::ResourceExhaustedError(message + " (free space, then resume)");
  return absl::UnavailableError(message);
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(dir, "cannot open the folder to sync it", errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(dir, "fsync of the folder failed", err);
  return absl::OkStatus();
}

std::string Describe(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) absl::StrAppend(&out, out.empty() ? "" : ", ", k, "=", v);
  return out.empty() ? "(none)" : out;
}

}  // namespace

absl::StatusOr<SourceStamp> StatSourceFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(path, "cannot stat the video", errno);
  SourceStamp stamp;
  stamp.size = static_cast<uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

bool IsStale(const FrameCacheEntry& entry, const SourceStamp& now) {
  if (entry.source_size() == 0 && entry.source_mtime_ns() == 0) return false;
  return entry.source_size() != now.size || entry.source_mtime_ns() != now.mtime_ns;
}

absl::StatusOr<std::unique_ptr<FrameCacheWriter>> FrameCacheWriter::Open(
    const std::string& dir, const FrameCacheWriterOptions& options) {
  if (options.shard_bytes == 0) {
    return absl::InvalidArgumentError("frame cache: shard_bytes must be positive");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": cannot create the folder: ", ec.message()));
  std::string lock_path = (fs::path(dir) / internal::kLockName).string();
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return ErrnoError(lock_path, "cannot create the lock file", errno);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir, ": another frame cache writer is running here (it holds ", lock_path,
          "); wait for it or use another folder"));
    }
    return ErrnoError(lock_path, "cannot lock", err);
  }
  std::unique_ptr<FrameCacheWriter> writer(new FrameCacheWriter(dir, options, lock_fd));

  bool has_manifest = FileExists((fs::path(dir) / internal::kManifestName).string());
  bool has_shards = false;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    std::string name = file.path().filename().string();
    if (internal::ShardNumber(name) >= 0 ||
        (name.size() > 4 && name.substr(name.size() - 4) == ".tmp")) {
      has_shards = true;
    }
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": cannot list the folder: ", ec.message()));
  if ((has_manifest || has_shards) && !options.resume) {
    return absl::FailedPreconditionError(absl::StrCat(
        dir, ": already holds a frame cache; resume it (camoe cache-frames --resume) or choose "
        "an empty folder"));
  }
  if (has_manifest) {
    CAMOE_RETURN_IF_ERROR(writer->Resume());
  } else {
    writer->manifest_.set_format_version(kFrameCacheVersion);
    for (const auto& [k, v] : options.metadata) (*writer->manifest_.mutable_metadata())[k] = v;
    // Shards left without a manifest (a crash before the first one was
    // written cannot happen: it is written here first) are adopted by Resume.
    if (has_shards) CAMOE_RETURN_IF_ERROR(writer->Resume());
  }
  writer->manifest_.set_complete(false);
  CAMOE_RETURN_IF_ERROR(writer->WriteManifest());
  return writer;
}

FrameCacheWriter::FrameCacheWriter(std::string dir, FrameCacheWriterOptions options, int lock_fd)
    : dir_(std::move(dir)), options_(std::move(options)), lock_fd_(lock_fd) {}

FrameCacheWriter::~FrameCacheWriter() {
  AbandonShard();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::Status FrameCacheWriter::Resume() {
  if (FileExists((fs::path(dir_) / internal::kManifestName).string())) {
    CAMOE_ASSIGN_OR_RETURN(manifest_, internal::ReadManifestFile(dir_));
    std::map<std::string, std::string> stored(manifest_.metadata().begin(),
                                              manifest_.metadata().end());
    if (stored != options_.metadata) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir_, ": the cache was made with other settings (", Describe(stored), ") than now (",
          Describe(options_.metadata), "); use another folder or delete this one"));
    }
  }
  // Keep each listed shard that is whole; a damaged one is removed and its
  // videos will be added again.
  FrameCacheManifest kept = manifest_;
  kept.clear_shards();
  std::set<std::string> listed;
  int max_number = -1;
  auto adopt = [&](const std::string& name, const FrameCacheShardInfo* info) -> bool {
    std::string path = (fs::path(dir_) / name).string();
    auto file = MappedFile::Open(path);
    absl::Status problem;
    if (!file.ok()) {
      problem = file.status();
    } else if (info != nullptr && (*file)->data().size() != info->size()) {
      problem = absl::DataLossError(absl::StrFormat("%s: %d bytes, the manifest says %d", path,
                                                    (*file)->data().size(), info->size()));
    } else {
      auto index = internal::ReadShardIndex((*file)->data(), path);
      if (!index.ok()) {
        problem = index.status();
      } else {
        for (const FrameCacheEntry& e : index->entries()) {
          if (ids_.contains(e.video_id())) {
            problem = absl::DataLossError(absl::StrCat(path, ": video \"", e.video_id(),
                                                       "\" is also in an earlier shard"));
          }
        }
        if (problem.ok()) {
          for (const FrameCacheEntry& e : index->entries()) ids_.insert(e.video_id());
          FrameCacheShardInfo* out = kept.add_shards();
          if (info != nullptr) {
            *out = *info;
          } else {
            out->set_file_name(name);
            out->set_size((*file)->data().size());
            out->set_crc32(Crc32((*file)->data()));
            out->set_num_videos(index->entries_size());
            notes_.push_back(absl::StrCat(name, ": a whole shard missing from MANIFEST (the "
                                          "writer stopped before listing it); kept"));
          }
          max_number = std::max(max_number, internal::ShardNumber(name));
          return true;
        }
      }
    }
    notes_.push_back(absl::StrCat(name, ": removed, its videos will be cached again (",
                                  problem.message(), ")"));
    std::error_code ec;
    fs::remove(path, ec);
    return false;
  };
  for (const FrameCacheShardInfo& info : manifest_.shards()) {
    listed.insert(info.file_name());
    max_number = std::max(max_number, internal::ShardNumber(info.file_name()));
    adopt(info.file_name(), &info);
  }
  std::error_code ec;
  std::vector<std::string> unlisted;
  for (const auto& file : fs::directory_iterator(dir_, ec)) {
    std::string name = file.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") {
      notes_.push_back(absl::StrCat(name, ": a partial shard from an interrupted run; removed"));
      fs::remove(file.path(), ec);
    } else if (internal::ShardNumber(name) >= 0 && !listed.count(name)) {
      unlisted.push_back(name);
    }
  }
  std::sort(unlisted.begin(), unlisted.end());
  for (const std::string& name : unlisted) adopt(name, nullptr);
  if (ec) return absl::UnavailableError(absl::StrCat(dir_, ": cannot list the folder: ", ec.message()));
  manifest_ = std::move(kept);
  manifest_.set_format_version(kFrameCacheVersion);
  next_shard_ = max_number + 1;
  return absl::OkStatus();
}

bool FrameCacheWriter::Contains(const std::string& video_id) const {
  return ids_.contains(video_id);
}

absl::Status FrameCacheWriter::Add(const std::string& video_id, const FramesToCache& frames) {
  if (finished_) return absl::FailedPreconditionError("frame cache: Add after Finish");
  if (!failed_.ok()) return failed_;
  if (video_id.empty()) return absl::InvalidArgumentError("frame cache: empty video id");
  uint64_t expected = internal::FrameBytes(frames.frame_count, frames.height, frames.width);
  if (expected == 0 || expected != frames.bytes.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frame cache: video \"%s\": %d bytes for %d frames of %dx%d RGB (expected %d)", video_id,
        frames.bytes.size(), frames.frame_count, frames.width, frames.height, expected));
  }
  if (frames.timestamps.size() != static_cast<size_t>(frames.frame_count)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "frame cache: video \"%s\": %d timestamps for %d frames", video_id,
        frames.timestamps.size(), frames.frame_count));
  }
  if (ids_.contains(video_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("frame cache: video \"", video_id, "\" is already in the cache"));
  }
  absl::Status status = AddToShard(video_id, frames);
  if (!status.ok()) {
    // The shard being written is lost; its videos are no longer cached.
    AbandonShard();
    failed_ = status;
  }
  return status;
}

absl::Status FrameCacheWriter::AddToShard(const std::string& video_id, const FramesToCache& frames) {
  if (fd_ < 0) CAMOE_RETURN_IF_ERROR(StartShard());
  uint64_t aligned = (offset_ + kFrameAlignment - 1) / kFrameAlignment * kFrameAlignment;
  CAMOE_RETURN_IF_ERROR(WriteBytes(std::string(aligned - offset_, '\0')));
  FrameCacheEntry* entry = index_.add_entries();
  entry->set_video_id(video_id);
  entry->set_offset(offset_);
  entry->set_nbytes(frames.bytes.size());
  entry->set_frame_count(frames.frame_count);
  entry->set_height(frames.height);
  entry->set_width(frames.width);
  for (double t : frames.timestamps) entry->add_timestamps(t);
  entry->set_crc32(Crc32(frames.bytes));
  entry->set_source_size(frames.source.size);
  entry->set_source_mtime_ns(frames.source.mtime_ns);
  ids_.insert(video_id);
  CAMOE_RETURN_IF_ERROR(WriteBytes(frames.bytes));
  if (offset_ - internal::kShardHeaderSize >= options_.shard_bytes) return CloseShard();
  return absl::OkStatus();
}

absl::Status FrameCacheWriter::Finish() {
  if (finished_) return absl::OkStatus();
  if (!failed_.ok()) return failed_;
  if (fd_ >= 0) {
    absl::Status status = CloseShard();
    if (!status.ok()) {
      AbandonShard();
      failed_ = status;
      return status;
    }
  }
  manifest_.set_complete(true);
  CAMOE_RETURN_IF_ERROR(WriteManifest());
  finished_ = true;
  return absl::OkStatus();
}

absl::Status FrameCacheWriter::StartShard() {
  shard_name_ = internal::ShardFileName(next_shard_++);
  tmp_path_ = (fs::path(dir_) / (shard_name_ + ".tmp")).string();
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError(tmp_path_, "cannot create the shard", errno);
  offset_ = 0;
  file_crc_ = 0;
  index_.Clear();
  index_.set_format_version(kFrameCacheVersion);
  return WriteBytes(internal::ShardHeader());
}

absl::Status FrameCacheWriter::WriteBytes(std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(tmp_path_, "write failed", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  file_crc_ = Crc32(bytes, file_crc_);
  offset_ += bytes.size();
  return absl::OkStatus();
}

absl::Status FrameCacheWriter::CloseShard() {
  std::string index;
  if (!index_.SerializeToString(&index)) {
    return absl::InternalError("frame cache: could not serialize a shard index");
  }
  uint64_t index_offset = offset_;
  CAMOE_RETURN_IF_ERROR(WriteBytes(index));
  CAMOE_RETURN_IF_ERROR(
      WriteBytes(internal::EncodeTrailer(index_offset, index.size(), Crc32(index))));
  if (::fsync(fd_) != 0) return ErrnoError(tmp_path_, "fsync failed", errno);
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoError(tmp_path_, "close failed", errno);
  }
  fd_ = -1;
  std::string final_path = (fs::path(dir_) / shard_name_).string();
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) {
    return ErrnoError(final_path, "cannot rename the finished shard into place", errno);
  }
  CAMOE_RETURN_IF_ERROR(SyncDirectory(dir_));
  FrameCacheShardInfo* info = manifest_.add_shards();
  info->set_file_name(shard_name_);
  info->set_size(offset_);
  info->set_crc32(file_crc_);
  info->set_num_videos(index_.entries_size());
  index_.Clear();
  return WriteManifest();
}

void FrameCacheWriter::AbandonShard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_path_.c_str());
  }
  for (const FrameCacheEntry& e : index_.entries()) ids_.erase(e.video_id());
  index_.Clear();
}

absl::Status FrameCacheWriter::WriteManifest() {
  return internal::WriteManifestFile(dir_, manifest_);
}

}  // namespace camoe::data
