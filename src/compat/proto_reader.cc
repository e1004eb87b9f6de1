// Protobuf (.proto) into the compat model (compat/readers.h), parsed by libprotoc's Importer —
// the parser protoc itself uses, so imports, options, proto2/proto3 and editions' syntax errors
// read exactly as protoc reads them.
//
// The model of one .proto file: a root pseudo-record (type_name kProtoFile, name = the package)
// whose fields are the file's top-level messages, named relative to the package, so that a
// removed message is a removed "field" and a package change leaves the messages comparable.
// Each message is a record that skips unknown fields (Protobuf readers keep them as unknown
// fields); its fields carry their numbers, and the walker matches Protobuf fields by number,
// as the wire does.

#include <fmt/format.h>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "compat/readers.h"

namespace tandem::compat {
namespace {

namespace pb = google::protobuf;

// Message types nest (a field's message, its field's message, …): a chain deeper than this is
// refused rather than recursed into (fuzzed input builds such chains cheaply).
constexpr int kMaxDepth = 200;

// Collects the parser's and the descriptor pool's errors as "FILE:LINE:COL: message" (lines and
// columns 1-based; the Importer reports them 0-based, -1 when it has none).
class Errors : public pb::compiler::MultiFileErrorCollector {
 public:
  explicit Errors(std::function<std::string(const std::string&)> display)
      : display_(std::move(display)) {}

  void AddError(const std::string& filename, int line, int column,
                const std::string& message) override {
    if (messages_.size() >= 20) return;  // the first ones say what is wrong
    std::string where = display_(filename);
    if (line >= 0) where += fmt::format(":{}:{}", line + 1, column + 1);
    messages_.push_back(where + ": " + message);
    if (message.find("was not found") != std::string::npos ||
        message.find("File not found") != std::string::npos)
      missing_ = true;
  }

  Status status(const std::string& file) const {
    if (messages_.empty()) {
      return Status::InvalidInput(fmt::format("{}: cannot read this Protobuf schema", file),
                                  "check that protoc accepts it");
    }
    std::string text = messages_.front();
    for (size_t i = 1; i < messages_.size(); ++i) text += "\n" + messages_[i];
    std::string hint =
        missing_ ? "imports resolve against the schema's own directory and each -I path: pass "
                   "-I DIR for the directory the import is relative to"
                 : "fix the .proto file (protoc reports the same error); see the Protocol "
                   "Buffers language guide";
    return Status::InvalidInput(std::move(text), std::move(hint));
  }

 private:
  std::function<std::string(const std::string&)> display_;
  std::vector<std::string> messages_;
  bool missing_ = false;
};

// A source tree of files given as text (the registry's path, tests): the schema, the files it
// imports by name (a registry's references), and the well-known types (google/protobuf/*.proto)
// from libprotobuf's own directory.
class TextSourceTree : public pb::compiler::SourceTree {
 public:
  explicit TextSourceTree(std::map<std::string, std::string> files) : files_(std::move(files)) {
#ifdef TANDEM_PROTOBUF_INCLUDE
    well_known_.MapPath("google/protobuf", TANDEM_PROTOBUF_INCLUDE "/google/protobuf");
#endif
  }
  pb::io::ZeroCopyInputStream* Open(const std::string& filename) override {
    if (auto it = files_.find(filename); it != files_.end())
      return new pb::io::ArrayInputStream(it->second.data(), static_cast<int>(it->second.size()));
    if (filename.rfind("google/protobuf/", 0) == 0) return well_known_.Open(filename);
    return nullptr;
  }
  std::string GetLastErrorMessage() override { return "File not found."; }

 private:
  std::map<std::string, std::string> files_;
  pb::compiler::DiskSourceTree well_known_;
};

// libprotobuf's parser (and this reader) recurse once per nested message or aggregate option:
// a file nested deeper than this is refused before either sees it (a hostile file once
// exhausted the stack at 20,000 levels).
constexpr int kMaxProtoDepth = 64;
constexpr size_t kMaxProtoFile = 16 * 1024 * 1024;

// How deep `{` nest in .proto text, outside comments and string literals.
int brace_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
    } else if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c && text[i] != '\n'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Reads every file through `inner`, refusing files too large or nested too deep.
class GuardedSourceTree : public pb::compiler::SourceTree {
 public:
  explicit GuardedSourceTree(pb::compiler::SourceTree& inner) : inner_(inner) {}
  pb::io::ZeroCopyInputStream* Open(const std::string& filename) override {
    std::unique_ptr<pb::io::ZeroCopyInputStream> in(inner_.Open(filename));
    if (!in) {
      last_error_ = inner_.GetLastErrorMessage();
      return nullptr;
    }
    auto text = std::make_unique<std::string>();
    const void* data = nullptr;
    int size = 0;
    while (in->Next(&data, &size)) {
      text->append(static_cast<const char*>(data), static_cast<size_t>(size));
      if (text->size() > kMaxProtoFile) {
        last_error_ = "the file is larger than 16 MiB";
        return nullptr;
      }
    }
    if (brace_depth(*text) > kMaxProtoDepth) {
      last_error_ = fmt::format("declarations nest more than {} levels deep", kMaxProtoDepth);
      return nullptr;
    }
    texts_.push_back(std::move(text));
    return new pb::io::ArrayInputStream(texts_.back()->data(),
                                        static_cast<int>(texts_.back()->size()));
  }
  std::string GetLastErrorMessage() override { return last_error_; }

 private:
  pb::compiler::SourceTree& inner_;
  std::vector<std::unique_ptr<std::string>> texts_;
  std::string last_error_;
};

class ProtoReader {
 public:
  ProtoReader(std::string file, const pb::FileDescriptor* fd) : file_(std::move(file)), fd_(fd) {
    schema_.format = Format::kProtobuf;
    schema_.file = file_;
  }

  Result<Schema> read(const std::string& message) {
    Node root;
    root.kind = Kind::kRecord;
    root.type_name = kProtoFile;
    root.name = fd_->package();
    root.skips_unknown = true;  // a message only the writer has is not read by the reader
    root.at = {"", 1};
    std::vector<Field> fields;
    for (int i = 0; i < fd_->message_type_count(); ++i) {
      const pb::Descriptor* d = fd_->message_type(i);
      if (!message.empty() && d->full_name() != message && d->name() != message) continue;
      auto id = read_message(d, 0);
      if (!id.ok()) return id.status();
      Field f;
      f.name = d->name();
      f.type = *id;
      f.written = false;  // a file's messages are alternatives, not parts of one value
      f.at = schema_.node(*id).at;
      fields.push_back(std::move(f));
    }
    if (!message.empty() && fields.empty()) {
      return Status::InvalidInput(
          fmt::format("{}: no top-level message {}", file_, message),
          "name a message the file defines (its full name, package.Message, or its name)");
    }
    root.fields = std::move(fields);
    schema_.root = schema_.add(std::move(root));
    return std::move(schema_);
  }

 private:
  // "Order.Item.price" for the field price of the message pkg.Order.Item.
  std::string relative(const std::string& full_name) const {
    const std::string& pkg = fd_->package();
    if (!pkg.empty() && full_name.size() > pkg.size() && full_name.rfind(pkg + ".", 0) == 0)
      return full_name.substr(pkg.size() + 1);
    return full_name;
  }

  template <typename D>
  Location where(const D* d) const {
    pb::SourceLocation loc;
    int line = d->GetSourceLocation(&loc) ? loc.start_line + 1 : 0;
    return {relative(d->full_name()), line};
  }

  // proto2 "reserved 2, 9 to 11;" is stored as half-open [start, end) for messages and as
  // inclusive [start, end] for enums; the model keeps inclusive ranges.
  template <typename D>
  static void reserved(const D* d, Node& n, int end_adjust) {
    for (int i = 0; i < d->reserved_range_count(); ++i) {
      const auto* r = d->reserved_range(i);
      n.reserved_numbers.emplace_back(r->start, r->end - end_adjust);
    }
    for (int i = 0; i < d->reserved_name_count(); ++i)
      n.reserved_names.push_back(d->reserved_name(i));
  }

  Result<NodeId> read_message(const pb::Descriptor* d, int depth) {
    if (auto it = messages_.find(d); it != messages_.end()) return it->second;
    if (depth > kMaxDepth) {
      return Status::InvalidInput(
          fmt::format("{}: message types nest more than {} deep at {}", file_, kMaxDepth,
                      d->full_name()),
          "tandem compat refuses such chains rather than recurse without end");
    }
    Node n;
    n.kind = Kind::kRecord;
    n.name = d->full_name();
    n.type_name = "message";
    n.skips_unknown = true;  // unknown field numbers are skipped (and kept as unknown fields)
    n.open = false;
    n.at = where(d);
    reserved(d, n, 1);
    // Registered before its fields are read: a message may hold itself (a tree, a list).
    NodeId id = schema_.add(std::move(n));
    messages_[d] = id;
    std::vector<Field> fields;
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* fd = d->field(i);
      auto type = read_field_type(fd, depth);
      if (!type.ok()) return type.status();
      Field f;
      f.name = fd->name();
      f.number = fd->number();
      f.type = *type;
      // Only proto2 `required` fields are in every value, and only they fail a parse when
      // missing; every other field reads as its default when absent.
      f.written = fd->is_required();
      f.needed = fd->is_required();
      if (fd->has_default_value()) f.default_json = default_json(fd);
      f.at = where(fd);
      fields.push_back(std::move(f));
    }
    schema_.nodes[static_cast<size_t>(id)].fields = std::move(fields);
    return id;
  }

  static std::string default_json(const pb::FieldDescriptor* fd) {
    using T = pb::FieldDescriptor;
    switch (fd->cpp_type()) {
      case T::CPPTYPE_INT32:
        return std::to_string(fd->default_value_int32());
      case T::CPPTYPE_INT64:
        return std::to_string(fd->default_value_int64());
      case T::CPPTYPE_UINT32:
        return std::to_string(fd->default_value_uint32());
      case T::CPPTYPE_UINT64:
        return std::to_string(fd->default_value_uint64());
      case T::CPPTYPE_DOUBLE:
        return nlohmann::json(fd->default_value_double()).dump();
      case T::CPPTYPE_FLOAT:
        return nlohmann::json(fd->default_value_float()).dump();
      case T::CPPTYPE_BOOL:
        return fd->default_value_bool() ? "true" : "false";
      case T::CPPTYPE_ENUM:
        return nlohmann::json(fd->default_value_enum()->name()).dump();
      case T::CPPTYPE_STRING:
        return nlohmann::json(fd->default_value_string())
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      case T::CPPTYPE_MESSAGE:
        break;
    }
    return "null";
  }

  // The field's value type; repeated fields are arrays of it, map fields maps.
  Result<NodeId> read_field_type(const pb::FieldDescriptor* fd, int depth) {
    if (fd->is_map()) {
      const pb::Descriptor* entry = fd->message_type();
      auto key = read_single(entry->map_key(), depth + 1);
      if (!key.ok()) return key;
      auto value = read_single(entry->map_value(), depth + 1);
      if (!value.ok()) return value;
      Node m;
      m.kind = Kind::kMap;
      m.type_name = fmt::format("map<{}, {}>", entry->map_key()->type_name(),
                                value_type_name(entry->map_value()));
      m.keys = *key;
      m.items = *value;
      m.at = where(fd);
      return schema_.add(std::move(m));
    }
    auto single = read_single(fd, depth);
    if (!single.ok() || !fd->is_repeated()) return single;
    Node a;
    a.kind = Kind::kArray;
    a.type_name = "repeated " + value_type_name(fd);
    a.items = *single;
    a.at = where(fd);
    return schema_.add(std::move(a));
  }

  std::string value_type_name(const pb::FieldDescriptor* fd) const {
    if (fd->message_type()) return relative(fd->message_type()->full_name());
    if (fd->enum_type()) return relative(fd->enum_type()->full_name());
    return fd->type_name();
  }

  Result<NodeId> read_single(const pb::FieldDescriptor* fd, int depth) {
    using T = pb::FieldDescriptor;
    if (fd->type() == T::TYPE_MESSAGE || fd->type() == T::TYPE_GROUP)
      return read_message(fd->message_type(), depth + 1);
    if (fd->type() == T::TYPE_ENUM) return read_enum(fd->enum_type());
    Node n;
    n.type_name = fd->type_name();  // "int32", "sint64", "fixed32", …
    n.at = where(fd);
    switch (fd->type()) {
      case T::TYPE_DOUBLE:
        n.kind = Kind::kNumber;
        n.bits = 64;
        break;
      case T::TYPE_FLOAT:
        n.kind = Kind::kNumber;
        n.bits = 32;
        break;
      case T::TYPE_INT64:
      case T::TYPE_UINT64:
      case T::TYPE_FIXED64:
      case T::TYPE_SFIXED64:
      case T::TYPE_SINT64:
        n.kind = Kind::kInteger;
        n.bits = 64;
        break;
      case T::TYPE_INT32:
      case T::TYPE_UINT32:
      case T::TYPE_FIXED32:
      case T::TYPE_SFIXED32:
      case T::TYPE_SINT32:
        n.kind = Kind::kInteger;
        n.bits = 32;
        break;
      case T::TYPE_BOOL:
        n.kind = Kind::kBoolean;
        break;
      case T::TYPE_STRING:
        n.kind = Kind::kString;
        break;
      default:
        n.kind = Kind::kBytes;
        break;
    }
    return schema_.add(std::move(n));
  }

  NodeId read_enum(const pb::EnumDescriptor* e) {
    if (auto it = enums_.find(e); it != enums_.end()) return it->second;
    Node n;
    n.kind = Kind::kEnum;
    n.name = e->full_name();
    n.type_name = "enum";
    n.at = where(e);
    for (int i = 0; i < e->value_count(); ++i) {
      n.symbols.push_back(e->value(i)->name());
      n.symbol_numbers.push_back(e->value(i)->number());
    }
    reserved(e, n, 0);
    NodeId id = schema_.add(std::move(n));
    enums_[e] = id;
    return id;
  }

  std::string file_;
  const pb::FileDescriptor* fd_;
  Schema schema_;
  std::map<const pb::Descriptor*, NodeId> messages_;
  std::map<const pb::EnumDescriptor*, NodeId> enums_;
};

Result<Schema> import(pb::compiler::SourceTree& tree, const std::string& virtual_name,
                      const std::string& file, const std::string& message,
                      std::function<std::string(const std::string&)> display) {
  // libprotobuf logs warnings ("No syntax specified …") to stderr itself; every problem that
  // matters reaches the error collector, so its log stays quiet while tandem parses.
  pb::LogSilencer quiet;
  Errors errors(std::move(display));
  GuardedSourceTree guarded(tree);
  pb::compiler::Importer importer(&guarded, &errors);
  const pb::FileDescriptor* fd = importer.Import(virtual_name);
  if (fd == nullptr) return errors.status(file);
  return ProtoReader(file, fd).read(message);
}

}  // namespace

Result<Schema> read_protobuf(const std::string& file, const std::vector<std::string>& include_paths,
                             const std::string& message) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return Status::InvalidInput(fmt::format("{}: no such file", file),
                                "check the path (schema versions are given oldest first)");
  }
  fs::path path(file);
  std::string dir = path.parent_path().string();
  // The file's own directory first (imports next to it), then each -I path, then the
  // well-known types shipped with libprotobuf (google/protobuf/timestamp.proto, …).
  pb::compiler::DiskSourceTree tree;
  tree.MapPath("", dir.empty() ? "." : dir);
  for (const std::string& inc : include_paths) tree.MapPath("", inc);
#ifdef TANDEM_PROTOBUF_INCLUDE
  tree.MapPath("google/protobuf", TANDEM_PROTOBUF_INCLUDE "/google/protobuf");
#endif
  std::string name = path.filename().string();
  auto display = [&tree, &name, &file](const std::string& virtual_file) {
    if (virtual_file == name) return file;
    std::string disk;
    return tree.VirtualFileToDiskFile(virtual_file, &disk) ? disk : virtual_file;
  };
  return import(tree, name, file, message, display);
}

Result<Schema> read_protobuf_text(const std::string& text, const std::string& name,
                                  const std::string& message,
                                  const std::map<std::string, std::string>& imports) {
  // The parser's virtual file names are relative paths: a label like "#1" is kept for messages.
  std::string virtual_name = "schema.proto";
  while (imports.count(virtual_name)) virtual_name = "_" + virtual_name;
  std::map<std::string, std::string> files = imports;
  files.emplace(virtual_name, text);
  TextSourceTree tree(std::move(files));
  auto display = [&name, &virtual_name](const std::string& f) {
    return f == virtual_name ? name : f;
  };
  return import(tree, virtual_name, name, message, display);
}

}  // namespace tandem::compat
