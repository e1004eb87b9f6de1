#pragma once
// Confluent Schema Registry's REST API over the registry's store: what Kafka clients (and
// their serializers) call. Pure request → response, no sockets, so that every route is
// testable without a server; compat/registry/server.cc puts it on the HTTP layer.
// docs/registry.md lists the routes, the error codes and where tandem differs.

#include <string>

#include "compat/registry/store.h"

namespace tandem::registry {

inline constexpr const char* kContentType = "application/vnd.schemaregistry.v1+json";

struct ApiRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path and query, as sent ("/subjects/orders-value/versions?deleted=true")
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = kContentType;
  // The route's shape for metrics and logs ("/subjects/{subject}/versions"): never a raw
  // subject or id, so that labels stay few.
  std::string route;
};

struct ApiSettings {
  // The global compatibility level until `PUT /config` sets one.
  std::string default_compatibility = "BACKWARD";
};

// Answers one request. Never throws; any input (bad JSON, bad UTF-8, huge numbers, encoded
// slashes) gets a Confluent-style error document {"error_code", "message"}.
ApiResponse handle(Store& store, const ApiRequest& request, const ApiSettings& settings);

}  // namespace tandem::registry
