// Text helpers for the HTML/SVG report: escaping that keeps the document
// well-formed whatever the input bytes, and compact number, duration and time
// formats. Pure functions; thread-safe.
#ifndef CAMOE_COORDINATOR_REPORT_HTML_TEXT_H_
#define CAMOE_COORDINATOR_REPORT_HTML_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace camoe::coordinator {

// `text` safe for HTML/XML text and double- or single-quoted attribute values:
// & < > " ' become entities; invalid UTF-8 and control characters other than
// tab, newline and carriage return become U+FFFD (XML forbids them, and a job
// name is whatever bytes a user submitted).
std::string HtmlEscape(std::string_view text);

// `value` with `significant` significant digits and no exponent for ordinary
// magnitudes: 1234.5 -> "1234.5" (6), 0.000123 -> "0.000123", 1.5e-7 ->
// "1.5e-7", NaN -> "NaN". Trailing zeros are dropped.
std::string FormatNumber(double value, int significant = 4);

// An integer with thousands separators: 1234567 -> "1,234,567".
std::string FormatCount(int64_t value);

// A duration: "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min", "3 d 04 h".
// Negative durations are "-" followed by the magnitude.
std::string FormatDuration(int64_t milliseconds);

// A Unix time in milliseconds as "2024-05-01 12:00:03 UTC"; "-" for 0.
std::string FormatTimeUtc(int64_t unix_ms);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_REPORT_HTML_TEXT_H_
