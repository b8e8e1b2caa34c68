#include "coordinator/report/html_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace camoe::coordinator {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the valid UTF-8 sequence starting at text[i], or 0 if invalid.
// Rejects overlong forms, surrogates and code points above U+10FFFF, which
// XML parsers reject too.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  size_t length;
  uint32_t code;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    length = 2;
    code = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3;
    code = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4;
    code = c & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[length] || code > 0x10FFFF) return 0;
  if (code >= 0xD800 && code <= 0xDFFF) return 0;
  // U+FFFE and U+FFFF are not XML characters either.
  if (code == 0xFFFE || code == 0xFFFF) return 0;
  return length;
}

// Drops trailing zeros (and a bare '.') from the fraction of a fixed number.
void TrimFraction(std::string* number) {
  if (number->find('.') == std::string::npos) return;
  while (!number->empty() && number->back() == '0') number->pop_back();
  if (!number->empty() && number->back() == '.') number->pop_back();
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&#39;"; ++i; continue;
      default: break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += kReplacement;
      ++i;
      continue;
    }
    if (u == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text.data() + i, length);
    i += length;
  }
  return out;
}

std::string FormatNumber(double value, int significant) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  if (significant < 1) significant = 1;
  double magnitude = std::fabs(value);
  char buffer[64];
  if (magnitude >= 1e-4 && magnitude < 1e12) {
    int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
    int decimals = std::max(0, significant - 1 - exponent);
    std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
    std::string out = buffer;
    TrimFraction(&out);
    return out == "-0" ? "0" : out;
  }
  std::snprintf(buffer, sizeof(buffer), "%.*e", significant - 1, value);
  std::string text = buffer;
  size_t e = text.find('e');
  std::string mantissa = text.substr(0, e);
  TrimFraction(&mantissa);
  int exponent = std::atoi(text.c_str() + e + 1);
  return mantissa + "e" + std::to_string(exponent);
}

std::string FormatCount(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -(value + 1) + uint64_t{1}
                                                : static_cast<uint64_t>(value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string FormatDuration(int64_t milliseconds) {
  if (milliseconds < 0) return "-" + FormatDuration(-milliseconds);
  char buffer[64];
  if (milliseconds < 1000) {
    std::snprintf(buffer, sizeof(buffer), "%lld ms", static_cast<long long>(milliseconds));
  } else if (milliseconds < 60'000) {
    std::snprintf(buffer, sizeof(buffer), "%.1f s", milliseconds / 1000.0);
  } else {
    long long seconds = milliseconds / 1000;
    if (seconds < 3600) {
      std::snprintf(buffer, sizeof(buffer), "%lld min %02lld s", seconds / 60, seconds % 60);
    } else if (seconds < 86400) {
      std::snprintf(buffer, sizeof(buffer), "%lld h %02lld min", seconds / 3600,
                    seconds % 3600 / 60);
    } else {
      std::snprintf(buffer, sizeof(buffer), "%lld d %02lld h", seconds / 86400,
                    seconds % 86400 / 3600);
    }
  }
  return buffer;
}

std::string FormatTimeUtc(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  // Floor division so times before 1970 still print the right second.
  std::time_t seconds = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000
                                                              : -((-unix_ms + 999) / 1000));
  std::tm parts{};
  if (gmtime_r(&seconds, &parts) == nullptr) return "-";
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &parts);
  return buffer;
}

}  // namespace camoe::coordinator
