// Byte-level helpers shared by camoe's binary formats (tensor files, frame
// cache shards, zip archives, checkpoints): CRC-32 and little-endian integers.
// Stateless; thread-safe.
#ifndef CAMOE_COMMON_BYTES_H_
#define CAMOE_COMMON_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace camoe {

// zlib's CRC-32 of `bytes` (any length), continuing from `crc` (0 to start).
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);

// Appends the low `bytes` bytes of `value`, least significant first.
void AppendLittleEndian(std::string* out, uint64_t value, int bytes);

// The `bytes`-byte little-endian integer at `data[pos]`. REQUIRES: in bounds.
uint64_t ReadLittleEndian(std::string_view data, size_t pos, int bytes);

}  // namespace camoe

#endif  // CAMOE_COMMON_BYTES_H_
