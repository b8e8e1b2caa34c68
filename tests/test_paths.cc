#include "tests/test_paths.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/file_util.h"

namespace camoe::testing {

std::string SourceDir() { return CAMOE_TEST_SOURCE_DIR; }
std::string BinaryDir() { return CAMOE_TEST_BINARY_DIR; }
std::string SharedDir() { return CAMOE_TEST_SHARED_DIR; }
std::string Python() { return CAMOE_TEST_PYTHON; }

std::string TempDir(const std::string& name) {
  // Per process: ctest runs tests in parallel, each test in its own process.
  std::filesystem::path dir = std::filesystem::path(BinaryDir()) / "test_tmp" /
                              (name + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string BpeVocabPath() {
  for (const std::string& candidate :
       {std::string(CAMOE_TEST_ASSET_DIR) + "/bpe_simple_vocab_16e6.txt.gz",
        std::string(CAMOE_TEST_ASSET_DIR) + "/bpe_simple_vocab_16e6.txt",
        SharedDir() + "/assets/clip/bpe_simple_vocab_16e6.txt.gz"}) {
    if (FileExists(candidate)) return candidate;
  }
  return "";
}

int RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    if (out != nullptr) out->append(buffer, n);
  }
  int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool PythonHasModules(const std::string& modules) {
  if (!FileExists(Python())) return false;
  std::string imports;
  std::string module;
  for (char c : modules + " ") {
    if (c == ' ') {
      if (!module.empty()) imports += "import " + module + ";";
      module.clear();
    } else {
      module += c;
    }
  }
  return RunCommand(Python() + " -c '" + imports + "' 2>/dev/null", nullptr) == 0;
}

}  // namespace camoe::testing
