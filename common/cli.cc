#include "common/cli.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"

namespace camoe {

FlagSet::FlagSet(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {}

void FlagSet::Add(Flag flag) { flags_.push_back(std::move(flag)); }

void FlagSet::AddString(std::string name, std::string* target, std::string help) {
  Flag flag{name, std::move(help), target->empty() ? "\"\"" : *target, false, nullptr};
  flag.set = [target](const std::string& value) {
    *target = std::string(value);
    return absl::OkStatus();
  };
  Add(std::move(flag));
}

void FlagSet::AddInt(std::string name, int64_t* target, std::string help) {
  Flag flag{name, std::move(help), absl::StrCat(*target), false, nullptr};
  flag.set = [target, name](const std::string& value) {
    int64_t parsed;
    if (!absl::SimpleAtoi(value, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, "=", value, ": expected an integer"));
    }
    *target = parsed;
    return absl::OkStatus();
  };
  Add(std::move(flag));
}

void FlagSet::AddDouble(std::string name, double* target, std::string help) {
  Flag flag{name, std::move(help), absl::StrCat(*target), false, nullptr};
  flag.set = [target, name](const std::string& value) {
    double parsed;
    if (!absl::SimpleAtod(value, &parsed)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, "=", value, ": expected a number"));
    }
    *target = parsed;
    return absl::OkStatus();
  };
  Add(std::move(flag));
}

void FlagSet::AddBool(std::string name, bool* target, std::string help) {
  Flag flag{name, std::move(help), *target ? "true" : "false", true, nullptr};
  flag.set = [target, name](const std::string& value) {
    bool parsed;
    if (!absl::SimpleAtob(value, &parsed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, "=", value, ": expected true or false"));
    }
    *target = parsed;
    return absl::OkStatus();
  };
  Add(std::move(flag));
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

absl::Status FlagSet::Parse(const std::vector<std::string>& args,
                            std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional->insert(positional->end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
      positional->push_back(arg);
      continue;
    }
    std::string body = arg.substr(arg.compare(0, 2, "--") == 0 ? 2 : 1);
    if (body == "help" || body == "h") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    std::string name = body;
    std::string value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    const Flag* flag = Find(name);
    if (flag == nullptr && !has_value && name.substr(0, 2) == "no") {
      const Flag* negated = Find(name.substr(2));
      if (negated != nullptr && negated->is_bool) {
        absl::Status status = negated->set("false");
        if (!status.ok()) return status;
        continue;
      }
    }
    if (flag == nullptr) {
      std::vector<std::string> names;
      for (const Flag& f : flags_) names.push_back(f.name);
      std::string hint = ClosestMatch(name, names);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name,
          hint.empty() ? " (see --help)" : absl::StrCat(" (did you mean --", hint, "?)")));
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    absl::Status status = flag->set(value);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string FlagSet::Help(const std::string& program) const {
  std::string out = absl::StrCat("usage: ", program, " ", usage_, "\n\n", summary_, "\n");
  if (!flags_.empty()) absl::StrAppend(&out, "\nflags:\n");
  size_t width = 0;
  for (const Flag& flag : flags_) width = std::max(width, flag.name.size());
  for (const Flag& flag : flags_) {
    absl::StrAppendFormat(&out, "  --%-*s  %s (default: %s)\n", static_cast<int>(width), flag.name,
                          flag.help, flag.default_text);
  }
  return out;
}

}  // namespace camoe
