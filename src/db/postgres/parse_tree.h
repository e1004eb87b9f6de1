#pragma once
// PostgreSQL's parse tree of a SQL text, as libpg_query (PostgreSQL 15's own parser) prints it,
// read into a simdjson DOM: one flat tape per text instead of a heap node per JSON value, so
// building and freeing the tree of a 10,000-statement file costs a few milliseconds.
//
//   TANDEM_ASSIGN_OR_RETURN(db::pg::Tree tree, db::pg::parse(sql));
//   for (const db::pg::RawStatement& st : tree.statements())
//     if (st.node.tag() == "IndexStmt" && st.node.body()["concurrent"].boolean()) …
//
// Every accessor is null-safe: a missing key, a wrong type or an index out of range gives the
// null Node, whose getters return their defaults — never undefined behaviour, never a throw.

// Only simdjson's error-code API: the throwing one is compiled out, so using it is a build error.
#ifndef SIMDJSON_EXCEPTIONS
#define SIMDJSON_EXCEPTIONS 0
#endif
// dom::parser's layout depends on this; libsimdjson and its CMake target define it, and every
// file including this header (the tests too, which do not link simdjson directly) must agree.
#ifndef SIMDJSON_THREADS_ENABLED
#define SIMDJSON_THREADS_ENABLED 1
#endif
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tandem/status.h"

namespace tandem::db::pg {

// One value of the parse tree: an object, array, string, number, bool, JSON null — or the null
// Node (absent). Cheap to copy (a pointer and an index); valid while its Tree lives.
class Node {
 public:
  Node() = default;  // the null Node
  explicit Node(simdjson::dom::element e) : el_(e), present_(true) {}

  // Present in the tree (possibly a JSON null): false for the null Node.
  bool present() const { return present_; }
  explicit operator bool() const { return present_; }
  bool is_object() const { return is(simdjson::dom::element_type::OBJECT); }
  bool is_array() const { return is(simdjson::dom::element_type::ARRAY); }
  bool is_string() const { return is(simdjson::dom::element_type::STRING); }
  bool is_bool() const { return is(simdjson::dom::element_type::BOOL); }
  bool is_int() const { return is(simdjson::dom::element_type::INT64); }

  // An object's member `key`; the null Node when this is no object or has no such key.
  Node operator[](std::string_view key) const;
  // An array's element `index` (linear in `index`); the null Node when this is no array or it
  // is too short.
  Node operator[](size_t index) const;
  // Whether this is an object with member `key`.
  bool contains(std::string_view key) const { return (*this)[key].present(); }
  // Elements of an array, members of an object, 0 for anything else.
  size_t size() const;
  bool empty() const { return size() == 0; }

  // libpg_query wraps every node in an object of one key naming its type:
  // {"IndexStmt": {…}}. tag() is that key ("IndexStmt"), body() its value; "" and the null
  // Node when this is not such an object.
  std::string_view tag() const;
  Node body() const;

  // The value as a string / bool / integer; `fallback` when absent or of another type.
  // (libpg_query leaves out false booleans, zero integers and empty strings.)
  std::string_view str(std::string_view fallback = {}) const;
  bool boolean(bool fallback = false) const;
  int64_t integer(int64_t fallback = 0) const;

  // Compact JSON of the value ("null" for the null Node), for messages and debugging.
  std::string dump() const;

  // Iterates an array's elements as Nodes; nothing for any other value.
  class Iterator {
   public:
    using value_type = Node;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(simdjson::dom::array::iterator it) : it_(it) {}
    Node operator*() const { return Node(*it_); }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return it_ == o.it_; }
    bool operator!=(const Iterator& o) const { return it_ != o.it_; }

   private:
    simdjson::dom::array::iterator it_;  // default-constructed begin == end: empty
  };
  Iterator begin() const;
  Iterator end() const;

  // An object's members in document order, as (key, value); nothing for any other value.
  class Members {
   public:
    class Iterator {
     public:
      Iterator() = default;
      explicit Iterator(simdjson::dom::object::iterator it) : it_(it) {}
      std::pair<std::string_view, Node> operator*() const { return {it_.key(), Node(it_.value())}; }
      Iterator& operator++() {
        ++it_;
        return *this;
      }
      bool operator==(const Iterator& o) const { return it_ == o.it_; }
      bool operator!=(const Iterator& o) const { return it_ != o.it_; }

     private:
      simdjson::dom::object::iterator it_;
    };
    Iterator begin() const { return begin_; }
    Iterator end() const { return end_; }

   private:
    friend class Node;
    Iterator begin_, end_;
  };
  Members members() const;

 private:
  bool is(simdjson::dom::element_type t) const { return present_ && el_.type() == t; }
  simdjson::dom::element el_;
  bool present_ = false;
};

// One statement of the text, as libpg_query's RawStmt gives it.
struct RawStatement {
  Node node;            // {"IndexStmt": {…}}; the null Node for an empty statement (";;")
  size_t location = 0;  // byte offset of the statement in the text (stmt_location)
  size_t length = 0;    // its length in bytes; 0: it runs to the end of the text (stmt_len)
};

// The parse tree of one SQL text. Owns the DOM every Node of it points into; moving a Tree
// keeps its Nodes valid.
class Tree {
 public:
  Tree() = default;
  Tree(Tree&&) noexcept = default;
  Tree& operator=(Tree&&) noexcept = default;
  const std::vector<RawStatement>& statements() const { return statements_; }
  // The whole document ({"version": …, "stmts": […]}).
  Node root() const { return root_; }

 private:
  friend Result<Tree> parse(std::string_view sql);
  std::unique_ptr<simdjson::dom::parser> parser_;  // a stable address: Nodes point into it
  Node root_;
  std::vector<RawStatement> statements_;
};

// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 when there is none; then `bad` is how many bytes
// one U+FFFD replaces: the lead byte and the continuation bytes that fitted before one that did
// not (which starts the next sequence) — as nlohmann-json's and the WHATWG decoder replace.
// libpg_query copies the SQL's bytes into its JSON as they are (a Latin-1 file stays Latin-1),
// which simdjson refuses: parse() replaces them, and lint's JSON reports escape the same way.
size_t utf8_sequence(std::string_view s, size_t i, size_t& bad);

// Parses `sql` (any number of statements) with PostgreSQL 15's parser. A syntax error is an
// InvalidInput with PostgreSQL's message and, in Status::position(), the 1-based byte offset
// of the error in `sql` (0 when the parser gives none). Bytes that are not UTF-8 read as
// U+FFFD in the tree's strings; offsets are those of `sql` as given.
Result<Tree> parse(std::string_view sql);

// Whether the option list `options` ([{"DefElem": …}], e.g. REINDEX's params, VACUUM's
// options) turns `name` on, as PostgreSQL reads a boolean option: (CONCURRENTLY),
// (CONCURRENTLY true), (FULL on), (FULL 1) do; (CONCURRENTLY false) and no such option do not.
bool option_enabled(Node options, std::string_view name);

// Whether PostgreSQL 15 runs the statement `stmt` ({"VacuumStmt": {…}}) inside a transaction
// block. False — PostgreSQL refuses it there ("… cannot run inside a transaction block"), so
// it must run on its own, in autocommit — for:
//   CREATE INDEX … CONCURRENTLY, DROP INDEX … CONCURRENTLY, REINDEX … CONCURRENTLY,
//   REINDEX SCHEMA / DATABASE / SYSTEM, VACUUM (any form; a plain ANALYZE may run in one),
//   CLUSTER without a table, ALTER SYSTEM, DISCARD ALL, CREATE / DROP DATABASE,
//   ALTER DATABASE … SET TABLESPACE, CREATE / DROP TABLESPACE,
//   CREATE SUBSCRIPTION that creates a slot (the default unless create_slot = false or
//   connect = false), ALTER SUBSCRIPTION … REFRESH PUBLICATION and … SET / ADD / DROP
//   PUBLICATION unless refresh = false, DROP SUBSCRIPTION (refused when the subscription has
//   a replication slot, which the statement cannot tell: assumed), ALTER TABLE … DETACH
//   PARTITION … CONCURRENTLY, COMMIT PREPARED and ROLLBACK PREPARED.
// True for everything else, including ANALYZE, REINDEX TABLE/INDEX, CLUSTER t, ALTER TYPE …
// ADD VALUE and the null Node. Not visible in the statement, so not judged: REINDEX and
// CLUSTER of a *partitioned* table or index are refused too (each partition runs in its own
// transaction).
bool can_run_in_transaction_block(Node stmt);

// Whether SQL text `text` ends inside a string, quoted identifier, dollar quote or block comment
// (PostgreSQL's own scanner says "unterminated …" when a line break is added): a line that
// follows it is part of that literal, not a comment.
bool ends_inside_literal(std::string_view text);

}  // namespace tandem::db::pg
