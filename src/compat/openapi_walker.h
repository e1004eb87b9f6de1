#pragma once
// The API walker: pairs two OpenAPI documents' paths, operations, parameters, bodies, responses
// and headers, and asks the API rules (compat/rules/rules.h) about each pair; the schemas inside
// go to the schema walker (compat/walker.h) with the roles HTTP gives them — the server reads
// requests (reader: the server's document), clients read responses (reader: the client's).
// Like the schema walker, it knows no rule by name.

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "compat/openapi.h"
#include "compat/walker.h"

namespace tandem::compat {

class ApiWalker {
 public:
  ApiWalker(const Api& client, const Api& server, bool server_is_new);

  std::vector<Finding> run();

  // --- for the rules ---------------------------------------------------------------------
  const Api& client() const { return client_; }
  const Api& server() const { return server_; }
  bool server_is_new() const { return server_is_new_; }
  // "old" or "new": which document the clients' or the server's side is, for messages.
  const char* client_side() const;
  const char* server_side() const;
  // The id for the change as seen from old to new: `if_server_new` in a BACKWARD check (old
  // clients, new server), `if_server_old` in a FORWARD one.
  const char* pick(const char* if_server_new, const char* if_server_old) const {
    return server_is_new_ ? if_server_new : if_server_old;
  }
  // Where the walk is, for messages: "`GET /orders/{id}`, query parameter `limit`".
  std::string where() const;
  // Records a finding at `c` in the client's document and `s` in the server's (either may be
  // null).
  void report(const char* rule, Level level, const Location* c, const Location* s,
              std::string message);

 private:
  using Ignore = std::pair<const std::vector<std::string>*, std::string>;
  class Scope;  // a context line and the x-tandem-ignore of one part, while it is walked

  static std::string operation_name(const ApiPath& p, const ApiOperation& o);
  void compare_paths();
  void compare_operation(const ApiPath& cp, const ApiOperation& c, const ApiPath& sp,
                         const ApiOperation& s);
  void compare_parameters(const ApiPath& cp, const ApiOperation& c, const ApiPath& sp,
                          const ApiOperation& s);
  void compare_body(const ApiOperation& c, const ApiOperation& s);
  void compare_responses(const ApiOperation& c, const ApiOperation& s);
  void compare_response(const ApiResponse& c, const ApiResponse& s);
  // The schema walker on one pair, its findings placed in this walk's context.
  void compare_schema(bool request, NodeId client_node, NodeId server_node);
  void add(Finding f);

  const Api& client_;
  const Api& server_;
  bool server_is_new_;
  Walker requests_;   // reader: the server's document
  Walker responses_;  // reader: the client's document
  std::vector<Finding>* out_ = nullptr;
  std::vector<std::string> context_;
  std::vector<Ignore> ignores_;
  // (request?, client node, server node) → the schema walker's findings.
  std::map<std::tuple<bool, NodeId, NodeId>, std::vector<Finding>> walked_;
};

}  // namespace tandem::compat
