#include "common/bytes.h"

#include <zlib.h>

#include <algorithm>

namespace camoe {

uint32_t Crc32(std::string_view bytes, uint32_t crc) {
  // zlib's crc32 takes a uInt length; feed large buffers in chunks.
  uLong c = crc;
  for (size_t done = 0; done < bytes.size();) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(bytes.size() - done, size_t{1} << 30));
    c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data() + done), chunk);
    done += chunk;
  }
  return static_cast<uint32_t>(c);
}

void AppendLittleEndian(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadLittleEndian(std::string_view data, size_t pos, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
  }
  return value;
}

}  // namespace camoe
