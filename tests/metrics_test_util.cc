#include "tests/metrics_test_util.h"

#include <arpa/inet.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <regex>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace camoe::testing {
namespace {

// Closes the descriptor on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(const std::string& host_port, const std::string& target,
                                     const std::string& user, const std::string& password,
                                     int timeout_seconds) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("not HOST:PORT: ", host_port));
  }
  std::string host = host_port.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", host));
  }
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0) return Errno("socket");
  timeval tv{timeout_seconds, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Errno(absl::StrCat("connect ", host_port));
  }
  std::string request = absl::StrCat("GET ", target, " HTTP/1.0\r\nHost: ", host_port, "\r\n");
  if (!user.empty() || !password.empty()) {
    absl::StrAppend(&request, "Authorization: Basic ", absl::Base64Escape(user + ":" + password),
                    "\r\n");
  }
  request += "\r\n";
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return Errno("send");
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) return Errno(absl::StrCat("recv from ", host_port));
    raw.append(buffer, static_cast<size_t>(n));
  }
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no HTTP header end in: ", raw.substr(0, 200)));
  }
  HttpResponse response;
  response.headers = raw.substr(0, end);
  response.body = raw.substr(end + 4);
  // "HTTP/1.x NNN reason"
  const size_t space = response.headers.find(' ');
  if (space == std::string::npos ||
      !absl::SimpleAtoi(response.headers.substr(space + 1, 3), &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", response.headers.substr(0, 80)));
  }
  return response;
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<Sample> Exposition::Find(const std::string& name,
                                     const std::map<std::string, std::string>& labels) const {
  std::vector<Sample> found;
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = s.labels.find(key);
      match &= it != s.labels.end() && it->second == value;
    }
    if (match) found.push_back(s);
  }
  return found;
}

std::optional<double> Exposition::Value(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
  std::vector<Sample> found = Find(name, labels);
  if (found.size() != 1) return std::nullopt;
  return found[0].value;
}

std::set<std::string> Exposition::Names() const {
  std::set<std::string> names;
  for (const Sample& s : samples) names.insert(s.name);
  for (const auto& [family, type] : types) names.insert(family);
  return names;
}

absl::StatusOr<Exposition> ParseExposition(const std::string& text) {
  Exposition out;
  size_t line_start = 0;
  int line_number = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string line = text.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    ++line_number;
    auto error = [&](const std::string& what) {
      return absl::DataLossError(absl::StrCat("line ", line_number, " (", line, "): ", what));
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# TYPE ", 0) == 0) {
        const std::string rest = line.substr(7);
        const size_t space = rest.find(' ');
        if (space == std::string::npos) return error("TYPE without a type");
        out.types[rest.substr(0, space)] = rest.substr(space + 1);
      }
      continue;
    }
    Sample sample;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') sample.name += line[i++];
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          return error("label without =\"");
        }
        const std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        if (j >= line.size()) return error("unterminated label value");
        sample.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return error("unterminated label set");
      ++i;  // '}'
    }
    while (i < line.size() && line[i] == ' ') ++i;
    std::string value_text = line.substr(i, line.find(' ', i) - i);
    char* end = nullptr;
    sample.value = std::strtod(value_text.c_str(), &end);
    if (value_text.empty() || end != value_text.c_str() + value_text.size()) {
      return error("bad value");
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

int FreeLoopbackPort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return -1;
  socklen_t length = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0) return -1;
  return ntohs(addr.sin_port);
}

std::set<std::string> CamoeMetricNames(const std::string& text) {
  static const std::regex kName("camoe_[A-Za-z0-9_:]+");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> GrafanaExpressions(const std::string& json) {
  google::protobuf::Value root;
  const auto status =
      google::protobuf::util::JsonStringToMessage(json, root.mutable_struct_value());
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a JSON object: ", status.ToString()));
  }
  std::vector<std::string> expressions;
  std::function<void(const google::protobuf::Value&)> walk = [&](const google::protobuf::Value& v) {
    if (v.has_struct_value()) {
      for (const auto& [key, field] : v.struct_value().fields()) {
        if (key == "expr" && field.has_string_value()) expressions.push_back(field.string_value());
        walk(field);
      }
    } else if (v.has_list_value()) {
      for (const auto& item : v.list_value().values()) walk(item);
    }
  };
  walk(root);
  return expressions;
}

}  // namespace camoe::testing
