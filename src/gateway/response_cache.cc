// The response cache (gateway/response_cache.h).

#include "gateway/response_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace tandem::gateway {

namespace {

namespace bhttp = http::bhttp;

// Cache-Control directives a cache acts on, as one pass over the field's comma list.
struct Directives {
  bool no_store = false, no_cache = false, is_private = false, is_public = false;
  std::optional<long long> max_age, s_maxage, stale_if_error, stale_while_revalidate;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<long long> seconds_value(std::string_view v) {
  if (!v.empty() && v.front() == '"' && v.size() >= 2 && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  // delta-seconds (RFC 9111 1.2.2): digits only; a value too large for an integer is 2^31.
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc::result_out_of_range) n = 2147483648LL;
  return std::min(n, 2147483648LL);
}

template <typename Fields>
Directives directives(const Fields& fields) {
  Directives d;
  auto range = fields.equal_range(bhttp::field::cache_control);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view all = it->value();
    while (!all.empty()) {
      size_t comma = all.find(',');
      std::string_view item = trim(all.substr(0, comma));
      all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
      size_t eq = item.find('=');
      std::string_view name = trim(item.substr(0, eq));
      std::string_view value = eq == std::string_view::npos ? "" : trim(item.substr(eq + 1));
      auto is = [&](std::string_view n) { return http::beast::iequals(name, n); };
      if (is("no-store"))
        d.no_store = true;
      else if (is("no-cache"))
        d.no_cache = true;
      else if (is("private"))
        d.is_private = true;
      else if (is("public"))
        d.is_public = true;
      else if (is("max-age"))
        d.max_age = seconds_value(value).value_or(0);  // invalid: stale (RFC 9111 4.2.1)
      else if (is("s-maxage"))
        d.s_maxage = seconds_value(value).value_or(0);
      else if (is("stale-if-error"))
        d.stale_if_error = seconds_value(value);
      else if (is("stale-while-revalidate"))
        d.stale_while_revalidate = seconds_value(value);
    }
  }
  return d;
}

bool cacheable_status(int s) {
  return s == 200 || s == 203 || s == 204 || s == 300 || s == 301 || s == 308 || s == 404 ||
         s == 410;
}

std::vector<std::string> vary_names(const http::Response& res, bool& star) {
  std::vector<std::string> names;
  star = false;
  auto range = res.equal_range(bhttp::field::vary);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view all = it->value();
    while (!all.empty()) {
      size_t comma = all.find(',');
      std::string_view name = trim(all.substr(0, comma));
      all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 1);
      if (name == "*") star = true;
      if (name.empty()) continue;
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      names.push_back(std::move(lower));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::chrono::milliseconds secs(long long s) { return std::chrono::milliseconds(s * 1000); }

}  // namespace

ResponseCache::ResponseCache(size_t max_bytes, size_t max_entry)
    : max_bytes_(max_bytes), max_entry_(max_entry) {}

std::string ResponseCache::key(int upstream, std::string_view target) {
  return fmt::format("{}\n{}", upstream, target);
}

bool ResponseCache::request_cacheable(const http::Request& req) {
  if (req.count(bhttp::field::authorization)) return false;
  return !directives(req).no_store;
}

bool ResponseCache::request_wants_fresh(const http::Request& req) {
  Directives d = directives(req);
  return d.no_cache || (d.max_age && *d.max_age == 0) ||
         http::beast::iequals(req[bhttp::field::pragma], "no-cache");
}

std::string ResponseCache::variant_key_locked(const std::string& key, const http::Request& req,
                                              const std::string& version_header) const {
  auto it = vary_names_.find(key);
  if (it == vary_names_.end() || it->second.empty()) return key;
  std::string out = key;
  for (const std::string& name : it->second) {
    out += '\0';
    if (http::beast::iequals(name, version_header)) continue;  // always head upstream
    auto range = req.equal_range(name);
    for (auto f = range.first; f != range.second; ++f) {
      out.append(f->value());
      out += ',';
    }
  }
  return out;
}

std::optional<ResponseCache::Hit> ResponseCache::lookup(const std::string& key,
                                                        const http::Request& req,
                                                        const std::string& version_header,
                                                        Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto slot = slots_.find(variant_key_locked(key, req, version_header));
  if (slot == slots_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, slot->second.lru);
  const Entry& e = *slot->second.entry;
  Hit hit;
  hit.entry = slot->second.entry;
  hit.age = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.stored) + e.age_at_store;
  if (hit.age < e.fresh) {
    hit.freshness = Freshness::kFresh;
  } else if (hit.age < e.fresh + e.stale_while_revalidate) {
    hit.freshness = Freshness::kStaleRevalidate;
  } else {
    hit.freshness = Freshness::kStale;
  }
  hit.usable_on_error = hit.age < e.fresh + std::max(e.stale_if_error, e.stale_while_revalidate);
  return hit;
}

bool ResponseCache::store(const std::string& key, const http::Request& req,
                          const http::Response& res, const CachePolicy& policy,
                          const std::string& version_header, Clock::time_point now) {
  int status = static_cast<int>(res.result_int());
  if (!cacheable_status(status) || res.count(bhttp::field::set_cookie)) return false;
  Directives d = directives(res);
  if (d.no_store || d.is_private) return false;
  bool star = false;
  std::vector<std::string> names = vary_names(res, star);
  if (star) return false;
  auto entry = std::make_shared<Entry>();
  entry->response = res;
  entry->stored = now;
  entry->fresh = d.no_cache   ? std::chrono::milliseconds(0)
                 : d.s_maxage ? secs(*d.s_maxage)
                 : d.max_age  ? secs(*d.max_age)
                              : policy.ttl;
  entry->stale_if_error = d.stale_if_error ? secs(*d.stale_if_error) : policy.stale_if_error;
  // no-cache: never served without a successful revalidation (RFC 9111 5.2.2.4), and
  // stale-while-revalidate serves first and revalidates after. Only stale-if-error is left.
  entry->stale_while_revalidate = d.no_cache                 ? std::chrono::milliseconds(0)
                                  : d.stale_while_revalidate ? secs(*d.stale_while_revalidate)
                                                             : policy.stale_while_revalidate;
  if (auto age = seconds_value(res[bhttp::field::age])) entry->age_at_store = secs(*age);
  if (entry->fresh.count() == 0 && entry->stale_if_error.count() == 0 &&
      entry->stale_while_revalidate.count() == 0) {
    return false;  // nothing it could ever be served for
  }
  entry->bytes = res.body().size() + 256;
  for (const auto& f : res) entry->bytes += f.name_string().size() + f.value().size() + 4;
  if (entry->bytes > max_entry_ || entry->bytes > max_bytes_) return false;

  std::lock_guard<std::mutex> lock(mu_);
  vary_names_[key] = names;
  std::string vkey = variant_key_locked(key, req, version_header);
  auto it = slots_.find(vkey);
  if (it != slots_.end()) {
    erase_locked(it);
    vary_names_[key] = names;  // erasing the key's last variant took its names along
  }
  // The keys count too: a client choosing long query strings must not grow memory past
  // max_size with keys (the variant key twice: the map and the LRU list; the key twice).
  size_t bytes = entry->bytes + 2 * vkey.size() + 2 * key.size() + 128;
  for (const auto& n : names) bytes += n.size() + 32;
  lru_.push_front(vkey);
  bytes_ += bytes;
  ++variants_[key];
  slots_.emplace(vkey, Slot{std::move(entry), lru_.begin(), key, bytes});
  evict_locked();
  // Stored and evicted at once (it alone is over max_size with its keys): nothing was kept.
  if (variants_.find(key) == variants_.end()) vary_names_.erase(key);
  return slots_.count(vkey) > 0;
}

void ResponseCache::erase_locked(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  auto v = variants_.find(it->second.key);
  if (v != variants_.end() && --v->second <= 0) {
    vary_names_.erase(it->second.key);
    variants_.erase(v);
  }
  slots_.erase(it);
}

void ResponseCache::evict_locked() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto it = slots_.find(lru_.back());
    if (it != slots_.end()) {
      erase_locked(it);
    } else {
      lru_.pop_back();
    }
    ++evictions_;
  }
}

bool ResponseCache::begin_revalidation(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (revalidating_.size() > 10000) revalidating_.clear();
  return revalidating_.emplace(key, true).second;
}

void ResponseCache::end_revalidation(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  revalidating_.erase(key);
}

size_t ResponseCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t ResponseCache::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

unsigned long long ResponseCache::evictions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evictions_;
}

}  // namespace tandem::gateway
