// Re-runs the independent Python reference (tests/reference/
// clip_tokenizer_ref.py, Debian's python3 + python3-regex) to show that the
// committed golden ids are reproducible, and compares the C++ text cleaning
// and character classes with Python's directly. Label `python`: skips with a
// message where python3-regex is missing.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "tests/tokenizer_test_util.h"
#include "worker/text/pretokenizer.h"
#include "worker/text/text_clean.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

class TokenizerPythonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PythonHasModules("regex")) {
      GTEST_SKIP() << testing::Python() << " cannot import regex (install python3-regex)";
    }
  }

  // Runs the reference with `args`; returns its stdout.
  std::string RunReference(const std::string& args) {
    std::string out;
    const std::string command = testing::Python() + " " + testing::SourceDir() +
                                "/tests/reference/clip_tokenizer_ref.py " + args;
    EXPECT_EQ(testing::RunCommand(command, &out), 0) << command;
    return out;
  }

  static std::string Quote(const std::string& path) { return "'" + path + "'"; }
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

TEST_F(TokenizerPythonTest, GoldenIdsAreReproducibleByTheReference) {
  const std::string vocab = testing::BpeVocabPath();
  ASSERT_FALSE(vocab.empty()) << MissingVocabMessage();
  const std::string fresh = testing::TempDir("tokenizer_python") + "/golden.jsonl";
  RunReference("--bpe " + Quote(vocab) + " --captions " +
               Quote(testing::SourceDir() + "/" + kCaptionsFile) + " --out " + Quote(fresh));
  absl::StatusOr<std::string> produced = ReadFile(fresh);
  absl::StatusOr<std::string> committed = ReadFile(testing::SourceDir() + "/" + kGoldenFile);
  ASSERT_TRUE(produced.ok()) << produced.status();
  ASSERT_TRUE(committed.ok()) << committed.status();
  if (*produced == *committed) return;
  const std::vector<std::string> a = SplitLines(*produced);
  const std::vector<std::string> b = SplitLines(*committed);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string left = i < a.size() ? a[i] : "<missing>";
    const std::string right = i < b.size() ? b[i] : "<missing>";
    if (left != right) {
      FAIL() << kGoldenFile << " differs from the reference's output at line " << i + 1
             << ":\n  reference: " << left << "\n  committed: " << right
             << "\nRegenerate it as docs/tokenizer.md says if the change is intended.";
    }
  }
}

TEST_F(TokenizerPythonTest, CleanCaptionMatchesTheReferenceForEveryCaption) {
  const std::vector<std::string> captions = ReadCaptions();
  const std::vector<std::string> expected = SplitLines(
      RunReference("--clean --captions " + Quote(testing::SourceDir() + "/" + kCaptionsFile)));
  ASSERT_EQ(captions.size(), expected.size());
  for (size_t i = 0; i < captions.size(); ++i) {
    absl::StatusOr<std::string> cleaned = CleanCaption(captions[i]);
    ASSERT_TRUE(cleaned.ok()) << cleaned.status();
    // The reference writes JSON with ASCII escapes; compare in that form.
    std::string escaped = "\"";
    for (size_t pos = 0; pos < cleaned->size();) {
      char32_t c = NextCodePoint(*cleaned, &pos);
      if (c == '"' || c == '\\') {
        escaped += '\\';
        escaped += static_cast<char>(c);
      } else if (c >= 0x20 && c <= 0x7F) {  // json.dumps keeps DEL as is.
        escaped += static_cast<char>(c);
      } else {
        const auto hex4 = [&](unsigned v) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", v);
          escaped += buf;
        };
        if (c == '\n') {
          escaped += "\\n";
        } else if (c == '\t') {
          escaped += "\\t";
        } else if (c == '\r') {
          escaped += "\\r";
        } else if (c == '\b') {
          escaped += "\\b";
        } else if (c == '\f') {
          escaped += "\\f";
        } else if (c > 0xFFFF) {
          hex4(0xD800 + ((c - 0x10000) >> 10));
          hex4(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
          hex4(c);
        }
      }
    }
    escaped += "\"";
    EXPECT_EQ(escaped, expected[i]) << kCaptionsFile << " line " << i + 1;
  }
}

// The class of every code point as the pre-tokeniser sees it, probed through
// SplitWords exactly as the reference probes regex.findall.
TEST_F(TokenizerPythonTest, CharacterClassesMatchPythonRegexForAllCodePoints) {
  std::string expected = RunReference("--classes");
  ASSERT_EQ(expected.size(), 0x110001u);
  std::string ours;
  ours.reserve(0x110000);
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) {
      ours += 'X';
      continue;
    }
    std::string one;
    AppendUtf8(c, &one);
    if (SplitWords(one).empty()) {
      ours += 'S';
    } else if (SplitWords("a" + one).size() == 1) {
      ours += 'L';
    } else if (SplitWords(one + one).size() == 2) {
      ours += 'N';
    } else {
      ours += 'O';
    }
  }
  int shown = 0;
  int differences = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (ours[c] != expected[c]) {
      ++differences;
      if (shown++ < 20) {
        ADD_FAILURE() << "U+" << std::hex << static_cast<unsigned>(c) << ": C++ " << ours[c]
                      << ", Python regex " << expected[c];
      }
    }
  }
  EXPECT_EQ(differences, 0) << "(S skipped, L letter, N number, O other)";
}

}  // namespace
}  // namespace camoe
