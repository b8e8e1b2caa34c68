// Minimal JSON output for machine-readable CLI results (no parsing here).
#ifndef CAMOE_COMMON_JSON_H_
#define CAMOE_COMMON_JSON_H_

#include <string>
#include <string_view>
#include <vector>

namespace camoe {

// A JSON string literal for `text` (UTF-8 passed through, controls escaped).
std::string JsonString(std::string_view text);

// "[v0, v1, ...]" with every float printed so that it parses back exactly.
// Non-finite values, which JSON cannot express, are written as null.
std::string JsonFloatArray(const float* values, size_t count);
inline std::string JsonFloatArray(const std::vector<float>& values) {
  return JsonFloatArray(values.data(), values.size());
}

}  // namespace camoe

#endif  // CAMOE_COMMON_JSON_H_
