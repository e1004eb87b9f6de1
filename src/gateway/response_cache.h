#pragma once
// The gateway's response cache for GET answers (RFC 9111 for a shared cache, RFC 5861's
// stale-while-revalidate and stale-if-error). Entries hold head-version answers, keyed by the
// upstream and the request target the upstream saw, so one stored answer serves every client
// version through the transforms. Shared by every worker behind one lock; bounded in bytes with
// least-recently-used eviction.

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/http.h"
#include "tandem/gateway.h"

namespace tandem::gateway {

class ResponseCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    http::Response response;  // the upstream's answer, head version, body included
    Clock::time_point stored;
    std::chrono::milliseconds age_at_store{0};  // the upstream's Age
    std::chrono::milliseconds fresh{0}, stale_if_error{0}, stale_while_revalidate{0};
    std::vector<std::string> vary_values;
    size_t bytes = 0;
  };

  enum class Freshness { kFresh, kStaleRevalidate, kStale };
  struct Hit {
    std::shared_ptr<const Entry> entry;
    Freshness freshness = Freshness::kStale;
    std::chrono::milliseconds age{0};
    bool usable_on_error = false;  // within stale-if-error
  };

  ResponseCache(size_t max_bytes, size_t max_entry);

  // The key of a request to `upstream` for `target` (path and query as the upstream sees them).
  static std::string key(int upstream, std::string_view target);

  // The entry for `key` whose Vary'd request fields match `req`'s, if any. `version_header` is
  // never compared: every version reaches the upstream as head.
  std::optional<Hit> lookup(const std::string& key, const http::Request& req,
                            const std::string& version_header, Clock::time_point now);
  // Stores `res` when it may be (status, Cache-Control, Vary, Set-Cookie, size); false when not.
  bool store(const std::string& key, const http::Request& req, const http::Response& res,
             const CachePolicy& policy, const std::string& version_header, Clock::time_point now);
  // True for the first caller after the entry went stale: it revalidates, the others don't.
  bool begin_revalidation(const std::string& key);
  void end_revalidation(const std::string& key);

  // May this request be answered from the cache at all (no Authorization, no no-store)?
  static bool request_cacheable(const http::Request& req);
  // The request asked for a fresh answer (Cache-Control: no-cache or max-age=0).
  static bool request_wants_fresh(const http::Request& req);

  size_t bytes() const;
  size_t entries() const;
  unsigned long long evictions() const;

 private:
  struct Slot {
    std::shared_ptr<const Entry> entry;
    std::list<std::string>::iterator lru;
    std::string key;   // the key without its Vary'd values (vary_names_ and variants_)
    size_t bytes = 0;  // the entry and every copy of its keys
  };
  // Removes a slot and, with its key's last variant, the key's Vary names.
  void erase_locked(std::unordered_map<std::string, Slot>::iterator it);
  std::string variant_key_locked(const std::string& key, const http::Request& req,
                                 const std::string& version_header) const;
  void evict_locked();

  const size_t max_bytes_, max_entry_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::string>> vary_names_;  // key → Vary names
  std::unordered_map<std::string, int> variants_;  // key → slots stored under it
  std::unordered_map<std::string, Slot> slots_;    // variant key → entry
  std::list<std::string> lru_;                     // most recent first
  std::unordered_map<std::string, bool> revalidating_;
  size_t bytes_ = 0;
  unsigned long long evictions_ = 0;
};

}  // namespace tandem::gateway
