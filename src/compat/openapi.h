#pragma once
// OpenAPI 3.0 and 3.1 documents read into an API model: paths, operations, parameters, request
// bodies, responses and security, whose schemas are nodes of one compat model (compat/model.h),
// so that the walker and the JSON Schema rules judge them. An API change is judged as "clients
// of one version talk to a server of the other" (docs/compat.md, "OpenAPI"): the server reads
// requests its clients write, the clients read the responses the server writes.

#include <string>
#include <utility>
#include <vector>

#include "compat/model.h"
#include "compat/readers.h"

namespace tandem::compat {

// Everything the API model places carries: where it was written, and the rule ids an
// `x-tandem-ignore` there silences.
struct ApiPart {
  Location at;
  std::vector<std::string> ignore;
};

// A request parameter (path, query, header, cookie) or a response header.
struct ApiParameter : ApiPart {
  std::string name;
  std::string in;  // path | query | header | cookie ("header" for response headers)
  bool required = false;
  NodeId schema = -1;  // its `schema`, or the schema of its one `content` entry (-1: any)
};

// One entry of a `content` map.
struct ApiMedia : ApiPart {
  std::string type;  // application/json, text/*, */*
  NodeId schema = -1;
};

struct ApiBody : ApiPart {
  bool required = false;
  std::vector<ApiMedia> content;
};

struct ApiResponse : ApiPart {
  std::string status;  // "200", "2XX" or "default"
  std::vector<ApiMedia> content;
  std::vector<ApiParameter> headers;
};

// One way to be let in: scheme name → the scopes it needs. An empty alternative: anonymous.
using SecurityAlternative = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct ApiOperation : ApiPart {
  std::string method;  // get, put, post, …
  std::string operation_id;
  bool deprecated = false;
  std::vector<ApiParameter> parameters;  // the path item's and the operation's, merged
  bool has_body = false;
  ApiBody body;
  std::vector<ApiResponse> responses;
  // The operation's `security`, else the document's: any one alternative lets a request in
  // (none at all: no security).
  std::vector<SecurityAlternative> security;
  Location security_at;
};

struct ApiPath : ApiPart {
  std::string path;       // as written: /orders/{id}
  std::string template_;  // parameter names blanked, for matching: /orders/{}
  std::vector<ApiOperation> operations;
};

// components.securitySchemes: what a client must send for each name.
struct ApiSecurityScheme : ApiPart {
  std::string name;
  std::string description;  // "http bearer", "apiKey in header X-Key", … (compared as text)
};

struct Api {
  std::string file;
  std::string version;  // "3.0.3", "3.1.0"
  std::vector<ApiPath> paths;
  std::vector<ApiSecurityScheme> schemes;
  Schema schema;  // every schema the document's operations use
};

// Reads an OpenAPI 3.0/3.1 document (JSON or YAML). $refs within it and to other files (by
// relative path, through `load`) are followed for schemas, parameters, request bodies,
// responses, headers, path items and security schemes. Errors (exit 2) carry file:line: not
// OpenAPI 3 (Swagger 2.0 is refused with a hint), an unresolved $ref, a malformed part.
Result<Api> read_openapi(const Document& doc, const DocumentLoader& load);

// Every finding about clients of `client` calling a server built from `server`.
// `server_is_new`: the BACKWARD check (old clients, new server); else FORWARD (new clients, an
// old server: a rollback). Finding ids describe the change from old to new either way.
std::vector<Finding> compare_apis(const Api& client, const Api& server, bool server_is_new);

}  // namespace tandem::compat
