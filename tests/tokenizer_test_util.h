// Shared by the tokenizer tests: the committed caption set and golden ids
// (tests/data/tokenizer_*.jsonl) and the message for a missing BPE file.
#ifndef CAMOE_TESTS_TOKENIZER_TEST_UTIL_H_
#define CAMOE_TESTS_TOKENIZER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace camoe {

inline constexpr char kCaptionsFile[] = "tests/data/tokenizer_captions.jsonl";
inline constexpr char kGoldenFile[] = "tests/data/tokenizer_golden.jsonl";

// Says that the BPE merges are missing and how to fetch them.
std::string MissingVocabMessage();

// The captions, one JSON string per line. Fails the current test (and
// returns what it read so far) on a malformed line.
std::vector<std::string> ReadCaptions();

// The golden ids, one JSON array of integers per line.
std::vector<std::vector<int32_t>> ReadGoldenIds();

// "[1, 2, 3]" for failure messages.
std::string IdsToString(const std::vector<int32_t>& ids);

}  // namespace camoe

#endif  // CAMOE_TESTS_TOKENIZER_TEST_UTIL_H_
