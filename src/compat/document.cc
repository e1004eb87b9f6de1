// Schema files with positions (compat/document.h).

#include "compat/document.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unordered_set>

namespace tandem::compat {
namespace {

// A YAML file's aliases can make a small file a huge tree ("billion laughs"): refused past this.
constexpr size_t kMaxValues = 2'000'000;

// The character iterator nlohmann's lexer reads through: it publishes how far the lexer got,
// which is where the value a SAX callback reports ends (give or take one character of
// lookahead, on the same line).
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* p, const char** cursor) : p_(p), cursor_(cursor) {}
  reference operator*() const { return *p_; }
  TrackingIterator& operator++() {
    ++p_;
    if (cursor_ != nullptr) *cursor_ = p_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char** cursor_;
};

// Line starts of a text, for offset → line:column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) : text_(text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  std::pair<int, int> at(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    size_t line = static_cast<size_t>(it - starts_.begin());  // 1-based
    return {static_cast<int>(line), static_cast<int>(offset - starts_[line - 1] + 1)};
  }

 private:
  std::string_view text_;
  std::vector<size_t> starts_;
};

class TreeBuilder {
 public:
  using json = nlohmann::json;
  TreeBuilder(const char* base, const char** cursor, const LineIndex& lines)
      : base_(base), cursor_(cursor), lines_(lines) {}

  Value root;
  std::string error;  // why the parse was stopped by this builder ("" = the parser's own error)
  int error_line = 0;

  bool null() { return scalar(Value::Kind::kNull).ok; }
  bool boolean(bool b) {
    Placed v = scalar(Value::Kind::kBool);
    if (v.ok) v.value->boolean = b;
    return v.ok;
  }
  bool number_integer(json::number_integer_t n) { return number(static_cast<double>(n), n); }
  bool number_unsigned(json::number_unsigned_t n) { return number(static_cast<double>(n), n); }
  bool number_float(json::number_float_t d, const std::string& raw) {
    Placed v = scalar(Value::Kind::kNumber);
    if (v.ok) {
      v.value->number = d;
      v.value->text = raw;
    }
    return v.ok;
  }
  bool string(std::string& s) {
    Placed v = scalar(Value::Kind::kString);
    if (v.ok) v.value->text = std::move(s);
    return v.ok;
  }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return open(Value::Kind::kObject); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(Value::Kind::kArray); }
  bool end_array() { return close(); }
  bool key(std::string& k) {
    Frame& f = stack_.back();
    if (!f.keys.insert(k).second) {
      error = fmt::format("the key \"{}\" appears twice in one object", k);
      error_line = here().first;
      return false;
    }
    pending_key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  struct Frame {
    Value* value;
    std::unordered_set<std::string> keys;
  };
  struct Placed {
    Value* value = nullptr;
    bool ok = false;
  };

  std::pair<int, int> here() const {
    size_t offset = static_cast<size_t>(*cursor_ - base_);
    return lines_.at(offset == 0 ? 0 : offset - 1);
  }

  template <typename N>
  bool number(double d, N n) {
    Placed v = scalar(Value::Kind::kNumber);
    if (v.ok) {
      v.value->number = d;
      v.value->text = std::to_string(n);
    }
    return v.ok;
  }

  // Places a new value where the parser is: the root, the next array item, or the member
  // named by the last key.
  Placed place(Value::Kind kind) {
    if (++count_ > kMaxValues) {
      error = "the file holds more values than tandem reads from one schema (2,000,000)";
      return {};
    }
    Value* v;
    if (stack_.empty()) {
      v = &root;
    } else {
      Value* parent = stack_.back().value;
      if (parent->kind == Value::Kind::kArray) {
        v = &parent->items.emplace_back();
      } else {
        v = &parent->members.emplace_back(std::move(pending_key_), Value{}).second;
      }
    }
    v->kind = kind;
    auto [line, column] = here();
    v->line = line;
    v->column = column;
    return {v, true};
  }
  Placed scalar(Value::Kind kind) { return place(kind); }
  bool open(Value::Kind kind) {
    if (stack_.size() >= static_cast<size_t>(kMaxDepth)) {
      error = fmt::format("values nest more than {} levels deep", kMaxDepth);
      error_line = here().first;
      return false;
    }
    Placed v = place(kind);
    if (!v.ok) return false;
    stack_.push_back(Frame{v.value, {}});
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  const char* base_;
  const char** cursor_;
  const LineIndex& lines_;
  std::vector<Frame> stack_;
  std::string pending_key_;
  size_t count_ = 0;
};

Result<Document> parse_json(std::string_view text, const std::string& file) {
  LineIndex lines(text);
  const char* cursor = text.data();
  TreeBuilder builder(text.data(), &cursor, lines);
  TrackingIterator first(text.data(), &cursor), last(text.data() + text.size(), nullptr);
  bool ok = false;
  std::string parser_error;
  try {
    ok = nlohmann::json::sax_parse(first, last, &builder);
  } catch (const nlohmann::json::exception& e) {
    parser_error = e.what();
  }
  if (ok) return Document{file, std::move(builder.root)};
  if (!builder.error.empty()) return input_error(file, builder.error_line, builder.error);
  auto [line, column] = lines.at(static_cast<size_t>(cursor - text.data()) > 0
                                     ? static_cast<size_t>(cursor - text.data()) - 1
                                     : 0);
  // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3, column 7:
  // syntax error while parsing object - unexpected '}'; expected string literal"
  std::string what = parser_error;
  if (size_t colon = what.find("syntax error"); colon != std::string::npos)
    what = what.substr(colon);
  if (what.empty()) what = "not valid JSON";
  return Status::InvalidInput(fmt::format("{}:{}:{}: {}", file, line, column, what),
                              "fix the JSON (a validator such as `jq . FILE` shows the spot)");
}

// YAML: quoted scalars are strings; plain ones null, booleans, numbers or strings.
class YamlConverter {
 public:
  explicit YamlConverter(std::string file) : file_(std::move(file)) {}

  Status convert(const YAML::Node& node, Value& out, int depth) {
    if (depth > kMaxDepth) {
      return input_error(file_, line_of(node),
                         fmt::format("values nest more than {} levels deep", kMaxDepth));
    }
    if (++count_ > kMaxValues) {
      return input_error(file_, line_of(node),
                         "the file expands (through aliases) to more values than tandem reads "
                         "from one schema (2,000,000)");
    }
    out.line = line_of(node);
    out.column = node.Mark().column + 1;
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        out.kind = Value::Kind::kNull;
        return Status::Ok();
      case YAML::NodeType::Sequence:
        out.kind = Value::Kind::kArray;
        for (const YAML::Node& item : node) {
          TANDEM_RETURN_IF_ERROR(convert(item, out.items.emplace_back(), depth + 1));
        }
        return Status::Ok();
      case YAML::NodeType::Map: {
        out.kind = Value::Kind::kObject;
        std::unordered_set<std::string> keys;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return input_error(file_, line_of(kv.first), "a key that is not a plain string");
          }
          const std::string& key = kv.first.Scalar();
          // yaml-cpp does not apply YAML 1.1 merge keys: read as a property named "<<", the
          // map would silently mean something else than the writer meant.
          if (key == "<<" && kv.first.Tag() != "!") {
            return input_error(file_, line_of(kv.first),
                               "a YAML merge key (<<: *anchor) is not supported",
                               "write the merged members out, or use allOf / a $ref");
          }
          if (!keys.insert(key).second) {
            return input_error(file_, line_of(kv.first),
                               fmt::format("the key \"{}\" appears twice in one map", key));
          }
          auto& member = out.members.emplace_back(key, Value{});
          TANDEM_RETURN_IF_ERROR(convert(kv.second, member.second, depth + 1));
        }
        return Status::Ok();
      }
      case YAML::NodeType::Scalar:
        break;
    }
    const std::string& s = node.Scalar();
    out.text = s;
    if (node.Tag() == "!") {  // quoted
      out.kind = Value::Kind::kString;
    } else if (s == "~" || s == "null" || s == "Null" || s == "NULL") {
      out.kind = Value::Kind::kNull;
    } else if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" ||
               s == "FALSE") {
      out.kind = Value::Kind::kBool;
      out.boolean = s[0] == 't' || s[0] == 'T';
    } else {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      bool numeric = !s.empty() && *end == '\0' && s.find_first_of("xXnNiI") == std::string::npos;
      out.kind = numeric ? Value::Kind::kNumber : Value::Kind::kString;
      out.number = numeric ? d : 0;
    }
    return Status::Ok();
  }

 private:
  static int line_of(const YAML::Node& node) { return node.Mark().line + 1; }
  std::string file_;
  size_t count_ = 0;
};

Result<Document> parse_yaml(std::string_view text, const std::string& file) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidInput(
        fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg),
        "fix the YAML (or the JSON) at that spot");
  }
  Document doc{file, {}};
  YamlConverter converter(file);
  TANDEM_RETURN_IF_ERROR(converter.convert(node, doc.root, 0));
  return doc;
}

}  // namespace

const Value* Value::find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

nlohmann::json Value::to_json() const {
  switch (kind) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return boolean;
    case Kind::kNumber: {
      // Integers stay integers, so that 1 and 1.0 print as written in most files.
      char* end = nullptr;
      long long i = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0') return i;
      return number;
    }
    case Kind::kString:
      return text;
    case Kind::kArray: {
      nlohmann::json a = nlohmann::json::array();
      for (const Value& v : items) a.push_back(v.to_json());
      return a;
    }
    case Kind::kObject: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& [k, v] : members) o[k] = v.to_json();
      return o;
    }
  }
  return nullptr;
}

Result<Document> parse_document(std::string_view text, const std::string& file) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return input_error(file, 0, "the file is empty", "give the schema's text");
  if (text[first] == '{' || text[first] == '[') return parse_json(text, file);
  return parse_yaml(text, file);
}

Result<Document> read_document(const std::string& path) {
  // Only regular files, of a bounded size: a reference to /dev/zero, a FIFO or stdin must be an
  // error, not a hang or an unbounded read.
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status))
    return Status::InvalidInput(fmt::format("cannot read {}: no such file", path),
                                "check the path");
  if (!std::filesystem::is_regular_file(status)) {
    return Status::InvalidInput(fmt::format("{} is not a regular file", path),
                                "a schema is a file (not a directory, device or pipe)");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxDocumentBytes) {
    return Status::InvalidInput(
        fmt::format("{} is larger than {} MiB", path, kMaxDocumentBytes >> 20),
        "split the schema into files that refer to each other");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidInput(fmt::format("cannot read {}", path), "check the path");
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  return parse_document(text, path);
}

Status input_error(const std::string& file, int line, const std::string& message,
                   std::string hint) {
  std::string where = line > 0 ? fmt::format("{}:{}: ", file, line) : fmt::format("{}: ", file);
  return Status::InvalidInput(where + message, std::move(hint));
}

std::vector<std::string> x_tandem_ignore(const Value& v) {
  std::vector<std::string> out;
  const Value* ig = v.find("x-tandem-ignore");
  if (ig == nullptr) return out;
  if (ig->is_string()) out.push_back(ig->text);
  for (const Value& item : ig->items)
    if (item.is_string()) out.push_back(item.text);
  return out;
}

std::string pointer_append(const std::string& pointer, std::string_view token) {
  std::string out = pointer;
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescape_pointer_token(const std::string& t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += t[i + 1] == '0' ? '~' : '/';
      ++i;
    } else if (t[i] == '%' && i + 2 < t.size() &&
               std::isxdigit(static_cast<unsigned char>(t[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(t[i + 2]))) {
      out += static_cast<char>(std::stoi(t.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += t[i];
    }
  }
  return out;
}

const Value* resolve_pointer(const Value& root, const std::string& pointer) {
  const Value* v = &root;
  size_t pos = 0;
  if (pointer.empty()) return v;
  if (pointer[0] != '/') return nullptr;
  while (pos < pointer.size()) {
    size_t next = pointer.find('/', pos + 1);
    std::string token = unescape_pointer_token(
        pointer.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
    if (v->is_object()) {
      v = v->find(token);
    } else if (v->is_array()) {
      char* end = nullptr;
      unsigned long i = std::strtoul(token.c_str(), &end, 10);
      if (token.empty() || *end != '\0' || i >= v->items.size()) return nullptr;
      v = &v->items[i];
    } else {
      return nullptr;
    }
    if (v == nullptr) return nullptr;
    if (next == std::string::npos) break;
    pos = next;
  }
  return v;
}

}  // namespace tandem::compat
