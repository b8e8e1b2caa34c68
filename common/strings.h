// Small string helpers shared by config and CLI error messages.
#ifndef CAMOE_COMMON_STRINGS_H_
#define CAMOE_COMMON_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace camoe {

// Edit distance: insertions, deletions, substitutions and adjacent
// transpositions each cost 1.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is a plausible typo of it (distance at
// most max(1, len/3)); empty otherwise. Used for "did you mean" hints.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// Formats a float so that parsing it back gives the same float ("%.9g").
std::string FormatFloat(float value);

}  // namespace camoe

#endif  // CAMOE_COMMON_STRINGS_H_
