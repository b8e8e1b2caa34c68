// Where tests find their inputs: the source tree, the build's asset folder (the
// BPE merges fetched by scripts/fetch-assets.sh), the project's shared folder
// (may be absent on users' machines) and Debian's python3 for references.
#ifndef CAMOE_TESTS_TEST_PATHS_H_
#define CAMOE_TESTS_TEST_PATHS_H_

#include <string>

namespace camoe::testing {

std::string SourceDir();
std::string BinaryDir();
std::string SharedDir();
std::string Python();

// A fresh, empty folder under the build tree for this test's files.
std::string TempDir(const std::string& name);

// The BPE merges file: the build's fetched asset, else the shared folder's
// OpenAI copy. Empty if neither exists.
std::string BpeVocabPath();

// Whether `Python()` can import every module in `modules` (space-separated).
bool PythonHasModules(const std::string& modules);

// Runs a shell command; returns its exit status and appends stdout to `out`.
int RunCommand(const std::string& command, std::string* out);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_TEST_PATHS_H_
