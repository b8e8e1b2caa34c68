#include "worker/text/utf8.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace camoe {
namespace {

// The length of the well-formed sequence starting at `pos`, or 0 if there is
// none; then `*subpart` is the length of the maximal ill-formed subpart (the
// lead byte plus the continuation bytes that were still allowed), which is
// what Python's "replace" error handler turns into one U+FFFD.
size_t ScanSequence(std::string_view s, size_t pos, size_t* subpart) {
  const unsigned char lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead == 0xE0) {
    need = 2;
    lo = 0xA0;  // Shorter forms are overlong.
  } else if (lead == 0xED) {
    need = 2;
    hi = 0x9F;  // ED A0..BF would encode a surrogate.
  } else if (lead >= 0xE1 && lead <= 0xEF) {
    need = 2;
  } else if (lead == 0xF0) {
    need = 3;
    lo = 0x90;  // Shorter forms are overlong.
  } else if (lead >= 0xF1 && lead <= 0xF3) {
    need = 3;
  } else if (lead == 0xF4) {
    need = 3;
    hi = 0x8F;  // Above U+10FFFF otherwise.
  } else {
    *subpart = 1;
    return 0;
  }
  size_t i = pos + 1;
  for (size_t k = 0; k < need; ++k, ++i) {
    if (i >= s.size()) {
      *subpart = i - pos;
      return 0;
    }
    const unsigned char b = static_cast<unsigned char>(s[i]);
    const bool ok = k == 0 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *subpart = i - pos;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

absl::Status ValidateUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // ASCII runs dominate captions; skip them without the general scan.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t subpart = 0;
    const size_t length = ScanSequence(text, pos, &subpart);
    if (length == 0) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(text[pos]));
      return absl::InvalidArgumentError(
          absl::StrCat("text is not valid UTF-8: bad byte sequence at byte offset ", pos, " (byte ",
                       std::string(hex), "); pass UTF-8 text (decode other encodings first)"));
    }
    pos += length;
  }
  return absl::OkStatus();
}

std::string DecodeUtf8Lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t subpart = 0;
    const size_t length = ScanSequence(bytes, pos, &subpart);
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      pos += subpart;
    } else {
      out.append(bytes.data() + pos, length);
      pos += length;
    }
  }
  return out;
}

size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace camoe
