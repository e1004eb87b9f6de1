#pragma once
// OFREP's two evaluation routes over a snapshot of the flags: pure functions of the request,
// so that the protocol is tested without a server (and fuzzed), and served by serve/server.cc.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tandem/flags.h"

namespace tandem::serve {

// The flags as loaded at one moment, shared read-only by every worker.
struct FlagSnapshot {
  std::unordered_map<std::string, flags::Flag> flags;
  std::string generation;  // FlagStore::generation() when it was read
  // Pointers into `flags` by key, for bulk answers: filled by index() (sorted per answer when
  // it does not match `flags`). Not copyable: a copy's pointers would point into the original.
  std::vector<const flags::Flag*> ordered;
  void index();

  FlagSnapshot() = default;
  FlagSnapshot(const FlagSnapshot&) = delete;
  FlagSnapshot& operator=(const FlagSnapshot&) = delete;
  FlagSnapshot(FlagSnapshot&&) = default;  // the map's nodes move with it
  FlagSnapshot& operator=(FlagSnapshot&&) = default;
};

struct OfrepAnswer {
  int status = 200;
  std::string body;  // JSON; empty for 304
  std::string etag;  // bulk answers: the quoted ETag
  // For metrics: the flag evaluated ("" when not found / bulk) and the reason or error code.
  std::string flag;
  std::string outcome;
};

// POST /ofrep/v1/evaluate/flags/{key}: `key` as taken from the path (percent-decoded here).
OfrepAnswer evaluate_one(const FlagSnapshot& snapshot, std::string_view key, std::string_view body);
// POST /ofrep/v1/evaluate/flags: every flag for the request's context; 304 (no body) when
// `if_none_match` names the answer's ETag.
OfrepAnswer evaluate_all(const FlagSnapshot& snapshot, std::string_view body,
                         std::string_view if_none_match);

}  // namespace tandem::serve
