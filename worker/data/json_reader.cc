#include "worker/data/json_reader.h"

#include <charconv>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace camoe::data {
namespace {

// Deeper nesting than any annotation file has; bounds the recursion so a
// hostile file cannot overflow the stack.
constexpr int kMaxDepth = 256;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [name, value] : object()) {
    if (name == key) return &value;
  }
  return nullptr;
}

const char* JsonValue::TypeName(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "?";
}

// Recursive descent over the RFC 8259 grammar, tracking line and column for
// errors. Not thread-safe; one parser per document.
class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& source, int first_line)
      : text_(text), source_(source), line_(first_line) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    SkipWhitespace();
    if (AtEnd()) return Error("the document is empty; expected a JSON value");
    JsonValue value;
    CAMOE_RETURN_IF_ERROR(ParseValue(0, &value));
    SkipWhitespace();
    if (!AtEnd()) {
      return Error(absl::StrCat("unexpected ", Describe(Peek()),
                                " after the end of the JSON value (is a comma or bracket missing?)"));
    }
    return value;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }

  void SkipWhitespace() {
    while (!AtEnd()) {
      char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      Advance();
    }
  }

  static std::string Describe(char c) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return absl::StrFormat("byte 0x%02X", static_cast<unsigned char>(c));
    }
    return absl::StrCat("'", std::string(1, c), "'");
  }

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d:%d: %s", source_, line_, pos_ - line_start_ + 1, what));
  }

  absl::Status ParseValue(int depth, JsonValue* out) {
    if (depth > kMaxDepth) {
      return Error(absl::StrCat("nesting deeper than ", kMaxDepth, " levels"));
    }
    if (AtEnd()) return Error("unexpected end of file; expected a value");
    out->line_ = line_;
    char c = Peek();
    switch (c) {
      case '{': return ParseObject(depth, out);
      case '[': return ParseArray(depth, out);
      case '"': {
        std::string s;
        CAMOE_RETURN_IF_ERROR(ParseString(&s));
        out->value_ = std::move(s);
        return absl::OkStatus();
      }
      case 't': return ParseLiteral("true", true, out);
      case 'f': return ParseLiteral("false", false, out);
      case 'n': return ParseLiteral("null", std::monostate(), out);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Error(absl::StrCat("unexpected ", Describe(c), "; expected a JSON value (strings "
                                  "take double quotes, not single)"));
    }
  }

  template <typename T>
  absl::Status ParseLiteral(std::string_view word, T value, JsonValue* out) {
    if (text_.substr(pos_, word.size()) != word) {
      return Error(absl::StrCat("unexpected ", Describe(Peek()), "; expected a JSON value"));
    }
    pos_ += word.size();
    out->value_ = value;
    return absl::OkStatus();
  }

  absl::Status ParseNumber(JsonValue* out) {
    size_t start = pos_;
    // Validate the JSON number grammar first: from_chars alone would accept
    // "01", "1." and "inf", which JSON does not.
    if (Peek() == '-') ++pos_;
    if (AtEnd() || !IsDigit(Peek())) return Error("a number needs digits after '-'");
    if (Peek() == '0') {
      ++pos_;
    } else {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("a number needs digits after '.'");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("a number needs digits in its exponent");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    double value = 0;
    // std::from_chars ignores the locale, unlike strtod.
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (ec == std::errc::result_out_of_range) {
      pos_ = start;
      return Error("number out of the range of a double");
    }
    if (ec != std::errc() || end != text_.data() + pos_) {
      pos_ = start;
      return Error("malformed number");
    }
    out->value_ = value;
    return absl::OkStatus();
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  absl::Status ParseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return Error("a \\u escape needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Error("a \\u escape needs four hex digits");
    }
    pos_ += 4;
    *out = v;
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (AtEnd()) return Error("unterminated string (a closing '\"' is missing)");
      char c = Peek();
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error(c == '\n' ? "unterminated string (a line ends inside it)"
                               : absl::StrCat("control character ", Describe(c),
                                              " inside a string; escape it"));
      }
      if (c != '\\') {
        out->push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (AtEnd()) return Error("unterminated string (a closing '\"' is missing)");
      char e = Peek();
      ++pos_;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          CAMOE_RETURN_IF_ERROR(ParseHex4(&cp));
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by an escaped low surrogate.
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return Error("unpaired UTF-16 surrogate in \\u escape");
            pos_ += 2;
            CAMOE_RETURN_IF_ERROR(ParseHex4(&low));
            if (low < 0xDC00 || low > 0xDFFF) return Error("unpaired UTF-16 surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("unpaired UTF-16 surrogate in \\u escape");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          --pos_;
          return Error(absl::StrCat("invalid escape \\", std::string(1, e), " in a string"));
      }
    }
  }

  absl::Status ParseArray(int depth, JsonValue* out) {
    Advance();  // '['
    JsonValue::Array items;
    SkipWhitespace();
    if (!AtEnd() && Peek() == ']') {
      Advance();
      out->value_ = std::move(items);
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      items.emplace_back();
      CAMOE_RETURN_IF_ERROR(ParseValue(depth + 1, &items.back()));
      SkipWhitespace();
      if (AtEnd()) return Error("unexpected end of file inside an array (a ']' is missing)");
      if (Peek() == ',') {
        Advance();
        SkipWhitespace();
        if (!AtEnd() && Peek() == ']') return Error("trailing comma before ']'");
        continue;
      }
      if (Peek() == ']') {
        Advance();
        out->value_ = std::move(items);
        return absl::OkStatus();
      }
      return Error(absl::StrCat("unexpected ", Describe(Peek()), " in an array; expected ',' or ']'"));
    }
  }

  absl::Status ParseObject(int depth, JsonValue* out) {
    Advance();  // '{'
    JsonValue::Object members;
    SkipWhitespace();
    if (!AtEnd() && Peek() == '}') {
      Advance();
      out->value_ = std::move(members);
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (AtEnd()) return Error("unexpected end of file inside an object (a '}' is missing)");
      if (Peek() != '"') {
        return Error(absl::StrCat("unexpected ", Describe(Peek()),
                                  "; expected a member name in double quotes"));
      }
      std::string key;
      CAMOE_RETURN_IF_ERROR(ParseString(&key));
      SkipWhitespace();
      if (AtEnd() || Peek() != ':') return Error(absl::StrCat("expected ':' after \"", key, "\""));
      Advance();
      SkipWhitespace();
      // Constructed in place: GCC 12 warns (falsely) about moving a fresh
      // std::variant into the vector.
      members.emplace_back();
      members.back().first = std::move(key);
      CAMOE_RETURN_IF_ERROR(ParseValue(depth + 1, &members.back().second));
      SkipWhitespace();
      if (AtEnd()) return Error("unexpected end of file inside an object (a '}' is missing)");
      if (Peek() == ',') {
        Advance();
        SkipWhitespace();
        if (!AtEnd() && Peek() == '}') return Error("trailing comma before '}'");
        continue;
      }
      if (Peek() == '}') {
        Advance();
        out->value_ = std::move(members);
        return absl::OkStatus();
      }
      return Error(absl::StrCat("unexpected ", Describe(Peek()), " in an object; expected ',' or '}'"));
    }
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_;
  size_t line_start_ = 0;
};

absl::StatusOr<JsonValue> ParseJson(std::string_view text, const std::string& source,
                                    int first_line) {
  return JsonParser(text, source, first_line).ParseDocument();
}

absl::StatusOr<JsonValue> ReadJsonFile(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseJson(text, path);
}

}  // namespace camoe::data
