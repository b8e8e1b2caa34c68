#include "worker/weights/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/bytes.h"
#include "common/status_macros.h"

namespace camoe {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndOfDirSig = 0x06054b50;
constexpr uint32_t kZip64EndOfDirSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEndOfDirSize = 22;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;

}  // namespace

bool ZipArchive::LooksLikeZip(std::string_view data) {
  return data.size() >= 4 && ReadLittleEndian(data, 0, 4) == kLocalHeaderSig;
}

absl::StatusOr<ZipArchive> ZipArchive::Open(std::string_view data, const std::string& source) {
  ZipArchive archive(data, source);
  CAMOE_RETURN_IF_ERROR(archive.ParseDirectory());
  return archive;
}

absl::Status ZipArchive::ParseDirectory() {
  auto corrupt = [this](const std::string& what) {
    return absl::DataLossError(absl::StrCat(
        source_, ": not a valid zip archive (", what,
        "); the file is truncated or corrupt - download or copy it again"));
  };
  if (data_.size() < kEndOfDirSize) return corrupt("too short for an end-of-directory record");
  // The end-of-directory record is followed by a comment of at most 64 KiB.
  size_t lowest = data_.size() > kEndOfDirSize + 0xffff ? data_.size() - kEndOfDirSize - 0xffff : 0;
  size_t eocd = std::string::npos;
  for (size_t pos = data_.size() - kEndOfDirSize + 1; pos-- > lowest;) {
    if (ReadLittleEndian(data_, pos, 4) == kEndOfDirSig) {
      eocd = pos;
      break;
    }
  }
  if (eocd == std::string::npos) return corrupt("no end-of-directory record");
  uint64_t count = ReadLittleEndian(data_, eocd + 10, 2);
  uint64_t dir_size = ReadLittleEndian(data_, eocd + 12, 4);
  uint64_t dir_offset = ReadLittleEndian(data_, eocd + 16, 4);
  if (count == 0xffff || dir_size == 0xffffffff || dir_offset == 0xffffffff) {
    // zip64: a locator just before the classic record points at the zip64 record.
    if (eocd < 20 || ReadLittleEndian(data_, eocd - 20, 4) != kZip64LocatorSig) {
      return corrupt("zip64 locator missing");
    }
    uint64_t z64 = ReadLittleEndian(data_, eocd - 20 + 8, 8);
    if (z64 > data_.size() - 56 || ReadLittleEndian(data_, z64, 4) != kZip64EndOfDirSig) {
      return corrupt("zip64 end-of-directory record missing");
    }
    count = ReadLittleEndian(data_, z64 + 32, 8);
    dir_size = ReadLittleEndian(data_, z64 + 40, 8);
    dir_offset = ReadLittleEndian(data_, z64 + 48, 8);
  }
  if (dir_offset > data_.size() || dir_size > data_.size() - dir_offset) {
    return corrupt("central directory outside the file");
  }
  size_t pos = dir_offset;
  const size_t end = dir_offset + dir_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (pos + kCentralHeaderSize > end || ReadLittleEndian(data_, pos, 4) != kCentralHeaderSig) {
      return corrupt(absl::StrCat("central directory entry ", i, " is damaged"));
    }
    Entry entry;
    entry.method = static_cast<uint16_t>(ReadLittleEndian(data_, pos + 10, 2));
    entry.crc32 = static_cast<uint32_t>(ReadLittleEndian(data_, pos + 16, 4));
    entry.compressed_size = ReadLittleEndian(data_, pos + 20, 4);
    entry.uncompressed_size = ReadLittleEndian(data_, pos + 24, 4);
    size_t name_len = ReadLittleEndian(data_, pos + 28, 2);
    size_t extra_len = ReadLittleEndian(data_, pos + 30, 2);
    size_t comment_len = ReadLittleEndian(data_, pos + 32, 2);
    uint64_t local_offset = ReadLittleEndian(data_, pos + 42, 4);
    if (pos + kCentralHeaderSize + name_len + extra_len + comment_len > end) {
      return corrupt(absl::StrCat("central directory entry ", i, " overruns the directory"));
    }
    entry.name = std::string(data_.substr(pos + kCentralHeaderSize, name_len));
    // zip64 extended information: present fields replace the saturated ones, in order.
    size_t extra = pos + kCentralHeaderSize + name_len;
    size_t extra_end = extra + extra_len;
    while (extra + 4 <= extra_end) {
      uint16_t id = static_cast<uint16_t>(ReadLittleEndian(data_, extra, 2));
      uint16_t len = static_cast<uint16_t>(ReadLittleEndian(data_, extra + 2, 2));
      if (extra + 4 + len > extra_end) break;
      if (id == 0x0001) {
        size_t field = extra + 4;
        size_t field_end = field + len;
        auto take = [&](uint64_t* value) {
          if (*value == 0xffffffff && field + 8 <= field_end) {
            *value = ReadLittleEndian(data_, field, 8);
            field += 8;
          }
        };
        take(&entry.uncompressed_size);
        take(&entry.compressed_size);
        take(&local_offset);
      }
      extra += 4 + len;
    }
    if (local_offset > data_.size() - kLocalHeaderSize ||
        ReadLittleEndian(data_, local_offset, 4) != kLocalHeaderSig) {
      return corrupt(absl::StrCat("local header of '", entry.name, "' is missing"));
    }
    size_t local_name_len = ReadLittleEndian(data_, local_offset + 26, 2);
    size_t local_extra_len = ReadLittleEndian(data_, local_offset + 28, 2);
    entry.data_offset = local_offset + kLocalHeaderSize + local_name_len + local_extra_len;
    if (entry.data_offset > data_.size() ||
        entry.compressed_size > data_.size() - entry.data_offset) {
      return corrupt(absl::StrCat("data of '", entry.name, "' lies beyond the end of the file"));
    }
    if (entry.method != 0 && entry.method != 8) {
      return absl::UnimplementedError(absl::StrCat(source_, ": entry '", entry.name,
                                                   "' uses zip compression method ", entry.method,
                                                   "; only stored and deflated are supported"));
    }
    index_[entry.name] = entries_.size();
    entries_.push_back(std::move(entry));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> ZipArchive::Read(const std::string& name,
                                                  std::string* storage) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    return absl::NotFoundError(absl::StrCat(source_, ": archive has no entry '", name, "'"));
  }
  const Entry& entry = entries_[it->second];
  std::string_view raw = data_.substr(entry.data_offset, entry.compressed_size);
  std::string_view bytes = raw;
  if (entry.method == 8) {
    if (entry.uncompressed_size > (uint64_t{1} << 40)) {
      return absl::DataLossError(absl::StrCat(source_, ": entry '", name, "' claims ",
                                              entry.uncompressed_size, " bytes"));
    }
    storage->assign(entry.uncompressed_size, '\0');
    z_stream stream;
    std::memset(&stream, 0, sizeof(stream));
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit2 failed");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
    stream.avail_in = static_cast<uInt>(raw.size());
    stream.next_out = reinterpret_cast<Bytef*>(storage->data());
    stream.avail_out = static_cast<uInt>(storage->size());
    int rc = inflate(&stream, Z_FINISH);
    size_t produced = stream.total_out;
    inflateEnd(&stream);
    if (rc != Z_STREAM_END || produced != entry.uncompressed_size) {
      return absl::DataLossError(absl::StrCat(source_, ": entry '", name, "' does not inflate"));
    }
    bytes = *storage;
  } else if (entry.compressed_size != entry.uncompressed_size) {
    return absl::DataLossError(absl::StrCat(source_, ": stored entry '", name,
                                            "' has inconsistent sizes"));
  }
  if (Crc32(bytes) != entry.crc32) {
    return absl::DataLossError(absl::StrCat(source_, ": CRC-32 mismatch in entry '", name,
                                            "'; the file is corrupt - copy it again"));
  }
  return bytes;
}

}  // namespace camoe
