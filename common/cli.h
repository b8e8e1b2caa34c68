// A small command-line flag parser for camoe's sub-commands. Each sub-command
// builds one FlagSet over the fields of its own options struct, so flags are
// local values (no global registry) and every sub-command has its own --help.
// Accepted spellings: --name=value, --name value, --flag, --noflag / --flag=false,
// and "--" to end flags. Not thread-safe; use from main's thread.
#ifndef CAMOE_COMMON_CLI_H_
#define CAMOE_COMMON_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace camoe {

class FlagSet {
 public:
  // `usage` is the synopsis after the program name, e.g. "tokenize [flags] TEXT...".
  FlagSet(std::string usage, std::string summary);

  // Each Add* binds a flag to `target`, whose current value is the default.
  void AddString(std::string name, std::string* target, std::string help);
  void AddInt(std::string name, int64_t* target, std::string help);
  void AddDouble(std::string name, double* target, std::string help);
  void AddBool(std::string name, bool* target, std::string help);

  // Parses `args` (without the program and sub-command names). Non-flag
  // arguments go to `positional` in order. Errors name the flag and say what was
  // expected; an unknown flag suggests the closest known one. After "--help",
  // help_requested() is true and nothing else is checked.
  absl::Status Parse(const std::vector<std::string>& args, std::vector<std::string>* positional);

  bool help_requested() const { return help_requested_; }

  // The --help text: usage, summary, then every flag with its default.
  std::string Help(const std::string& program) const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    std::function<absl::Status(const std::string&)> set;
  };
  const Flag* Find(std::string_view name) const;
  void Add(Flag flag);

  std::string usage_;
  std::string summary_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

}  // namespace camoe

#endif  // CAMOE_COMMON_CLI_H_
