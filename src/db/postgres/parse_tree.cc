#include "db/postgres/parse_tree.h"

#include <pg_query.h>

#include <algorithm>
#include <cctype>

namespace tandem::db::pg {

namespace sj = simdjson::dom;

Node Node::operator[](std::string_view key) const {
  sj::object o;
  sj::element e;
  if (!present_ || el_.get(o) != simdjson::SUCCESS || o.at_key(key).get(e) != simdjson::SUCCESS)
    return Node();
  return Node(e);
}

Node Node::operator[](size_t index) const {
  sj::array a;
  if (!present_ || el_.get(a) != simdjson::SUCCESS) return Node();
  for (sj::element e : a) {
    if (index-- == 0) return Node(e);
  }
  return Node();
}

namespace {

// simdjson stores a container's count saturated at 0xFFFFFF: past that, count.
template <typename Container>
size_t count(const Container& c) {
  size_t n = c.size();
  if (n < 0xFFFFFF) return n;
  n = 0;
  for (auto it = c.begin(); it != c.end(); ++it) ++n;
  return n;
}

}  // namespace

size_t Node::size() const {
  sj::array a;
  sj::object o;
  if (present_ && el_.get(a) == simdjson::SUCCESS) return count(a);
  if (present_ && el_.get(o) == simdjson::SUCCESS) return count(o);
  return 0;
}

std::string_view Node::tag() const {
  sj::object o;
  if (!present_ || el_.get(o) != simdjson::SUCCESS || o.begin() == o.end()) return {};
  return o.begin().key();
}

Node Node::body() const {
  sj::object o;
  if (!present_ || el_.get(o) != simdjson::SUCCESS || o.begin() == o.end()) return Node();
  return Node(o.begin().value());
}

std::string_view Node::str(std::string_view fallback) const {
  std::string_view s;
  return present_ && el_.get(s) == simdjson::SUCCESS ? s : fallback;
}

bool Node::boolean(bool fallback) const {
  bool b;
  return present_ && el_.get(b) == simdjson::SUCCESS ? b : fallback;
}

int64_t Node::integer(int64_t fallback) const {
  int64_t i;
  return present_ && el_.get(i) == simdjson::SUCCESS ? i : fallback;
}

std::string Node::dump() const { return present_ ? simdjson::to_string(el_) : "null"; }

Node::Iterator Node::begin() const {
  sj::array a;
  return present_ && el_.get(a) == simdjson::SUCCESS ? Iterator(a.begin()) : Iterator();
}

Node::Iterator Node::end() const {
  sj::array a;
  return present_ && el_.get(a) == simdjson::SUCCESS ? Iterator(a.end()) : Iterator();
}

Node::Members Node::members() const {
  Members m;
  sj::object o;
  if (present_ && el_.get(o) == simdjson::SUCCESS) {
    m.begin_ = Members::Iterator(o.begin());
    m.end_ = Members::Iterator(o.end());
  }
  return m;
}

size_t utf8_sequence(std::string_view s, size_t i, size_t& bad) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t lead = b(i);
  if (lead < 0x80) return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    bad = 1;  // a continuation byte, C0/C1 or F5..FF as a lead: replaced alone
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) {
      bad = s.size() - i;  // cut short by the end of the text
      return 0;
    }
    uint8_t c = b(i + k);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) {
      bad = k;
      return 0;
    }
  }
  return need + 1;
}

namespace {

// `text` with each invalid UTF-8 sequence replaced by U+FFFD.
std::string replace_invalid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  for (size_t i = 0; i < text.size();) {
    size_t bad = 0, len = utf8_sequence(text, i, bad);
    if (len > 0) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += bad;
    }
  }
  return out;
}

// The JSON nests as deep as the SQL does (f(f(f(…))) is three levels per call). PostgreSQL's
// parser stops at 10,000 levels of SQL ("memory exhausted"), about 30,000 of JSON; simdjson's
// default limit (1,024) would refuse statements PostgreSQL accepts. Each level nests at least
// two characters, so a short document never needs more than half its length.
size_t max_depth(size_t json_size) { return std::min<size_t>(json_size / 2 + 2, 65536); }

}  // namespace

Result<Tree> parse(std::string_view sql) {
  std::string text(sql);  // pg_query_parse reads a NUL-terminated string
  PgQueryParseResult r = pg_query_parse(text.c_str());
  if (r.error != nullptr) {
    Status s = Status::InvalidInput(r.error->message != nullptr ? r.error->message : "syntax error",
                                    "fix the SQL: this is PostgreSQL 15's own parser")
                   .with_position(std::max(0, r.error->cursorpos));
    pg_query_free_parse_result(r);
    return s;
  }
  Tree tree;
  tree.parser_ = std::make_unique<sj::parser>();
  std::string_view json = r.parse_tree != nullptr ? r.parse_tree : "{}";
  std::string valid;
  if (!simdjson::validate_utf8(json.data(), json.size())) {
    valid = replace_invalid_utf8(json);
    json = valid;
  }
  sj::element root;
  simdjson::error_code err = tree.parser_->allocate(json.size(), max_depth(json.size()));
  if (err == simdjson::SUCCESS) err = tree.parser_->parse(json.data(), json.size()).get(root);
  pg_query_free_parse_result(r);
  if (err != simdjson::SUCCESS) {
    return Status::InvalidInput(
        std::string("cannot read PostgreSQL's parse tree: ") + simdjson::error_message(err),
        "the statement is too large or nested too deeply; split it");
  }
  tree.root_ = Node(root);
  for (Node raw : tree.root_["stmts"]) {
    RawStatement st;
    st.node = raw["stmt"];
    st.location = static_cast<size_t>(std::max<int64_t>(0, raw["stmt_location"].integer()));
    st.length = static_cast<size_t>(std::max<int64_t>(0, raw["stmt_len"].integer()));
    tree.statements_.push_back(st);
  }
  return tree;
}

namespace {

// A DefElem's boolean value as PostgreSQL's defGetBoolean reads it: no value is true; 0/1;
// true/false/on/off (any case).
bool def_bool(Node def_elem) {
  Node arg = def_elem["arg"];
  if (!arg.present()) return true;
  if (arg.contains("Integer")) return arg["Integer"]["ival"].integer() != 0;
  if (arg.contains("Boolean")) return arg["Boolean"]["boolval"].boolean();
  std::string v(arg["String"]["sval"].str());
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(v == "false" || v == "off" || v == "0" || v == "no" || v == "f" || v == "n");
}

// The DefElem `name` of the list `options` ({"DefElem": …}); the null Node when absent.
Node option(Node options, std::string_view name) {
  for (Node o : options)
    if (o["DefElem"]["defname"].str() == name) return o["DefElem"];
  return Node();
}

}  // namespace

bool option_enabled(Node options, std::string_view name) {
  Node o = option(options, name);
  return o.present() && def_bool(o);
}

bool can_run_in_transaction_block(Node stmt) {
  std::string_view kind = stmt.tag();
  Node b = stmt.body();
  if (kind == "IndexStmt" || kind == "DropStmt") return !b["concurrent"].boolean();
  if (kind == "ReindexStmt") {
    std::string_view object = b["kind"].str();
    // SCHEMA, DATABASE and SYSTEM reindex each table in a transaction of its own.
    if (object == "REINDEX_OBJECT_SCHEMA" || object == "REINDEX_OBJECT_DATABASE" ||
        object == "REINDEX_OBJECT_SYSTEM")
      return false;
    return !option_enabled(b["params"], "concurrently");
  }
  // VACUUM (with or without ANALYZE); ANALYZE alone is VacuumStmt without is_vacuumcmd.
  if (kind == "VacuumStmt") return !b["is_vacuumcmd"].boolean();
  // CLUSTER with no table clusters every table, each in its own transaction.
  if (kind == "ClusterStmt") return b["relation"].present();
  if (kind == "DiscardStmt") return b["target"].str() != "DISCARD_ALL";
  if (kind == "AlterSystemStmt" || kind == "CreatedbStmt" || kind == "DropdbStmt" ||
      kind == "CreateTableSpaceStmt" || kind == "DropTableSpaceStmt")
    return false;
  // SET TABLESPACE moves the database's files, which cannot be rolled back.
  if (kind == "AlterDatabaseStmt") return !option(b["options"], "tablespace").present();
  // Creating or dropping a replication slot on the publisher cannot be rolled back.
  if (kind == "CreateSubscriptionStmt") {
    Node create_slot = option(b["options"], "create_slot");
    if (create_slot.present()) return !def_bool(create_slot);
    Node connect = option(b["options"], "connect");
    return connect.present() && !def_bool(connect);  // connect = false: no slot by default
  }
  if (kind == "AlterSubscriptionStmt") {
    std::string_view what = b["kind"].str();
    if (what == "ALTER_SUBSCRIPTION_REFRESH") return false;
    if (what == "ALTER_SUBSCRIPTION_SET_PUBLICATION" ||
        what == "ALTER_SUBSCRIPTION_ADD_PUBLICATION" ||
        what == "ALTER_SUBSCRIPTION_DROP_PUBLICATION") {
      Node refresh = option(b["options"], "refresh");
      return refresh.present() && !def_bool(refresh);
    }
    return true;
  }
  // Refused when the subscription has a replication slot, which only the catalog knows.
  if (kind == "DropSubscriptionStmt") return false;
  if (kind == "AlterTableStmt") {
    for (Node cmd : b["cmds"]) {
      Node c = cmd["AlterTableCmd"];
      if (c["subtype"].str() == "AT_DetachPartition" &&
          c["def"]["PartitionCmd"]["concurrent"].boolean())
        return false;
    }
    return true;
  }
  if (kind == "TransactionStmt") {
    std::string_view what = b["kind"].str();
    return what != "TRANS_STMT_COMMIT_PREPARED" && what != "TRANS_STMT_ROLLBACK_PREPARED";
  }
  return true;
}

bool ends_inside_literal(std::string_view text) {
  std::string probe(text);
  probe += "\n;";
  PgQuerySplitResult split = pg_query_split_with_scanner(probe.c_str());
  bool inside = split.error != nullptr && split.error->message != nullptr &&
                std::string_view(split.error->message).starts_with("unterminated");
  pg_query_free_split_result(split);
  return inside;
}

}  // namespace tandem::db::pg
