// loadgen: an open-loop HTTP/1.1 load generator for bench/degradation_bench.sh, the part of wrk2
// Debian lacks — requests are sent at a fixed rate whatever the server's latency, and each one's
// latency is counted from the time it was due, not from when a connection was free to send it
// (no coordinated omission: a server that stalls is charged for the requests it held up).
//
//   loadgen --url http://127.0.0.1:PORT/PATH --rate R --duration S [--warmup W]
//           [--connections C] [--timeout-ms T] [--header 'Name: value']...
//
// Request k is due at start + k/R. It goes out on an idle keep-alive connection of the C this
// process may open (opened on demand); when all C are busy it waits in this process, its clock
// running. A request that has no complete answer T ms after it was due counts as a timeout (a
// client that gave up); its connection, if it had one, is closed. Requests due in the first W
// seconds warm up and are not counted; the run lasts W + S seconds, then up to T ms more for the
// last answers.
//
// Prints one JSON object on stdout:
//   {"due": requests due in the measured window, "ok": 2xx answers, "status": {"503": n, …},
//    "timeouts": n, "errors": n (refused, reset, malformed), "p50_ms", "p90_ms", "p99_ms", "max_ms"
//    (over every counted request: a timeout counts as T), "timeline": [[due, ok, p99_ms], …] one
//    entry per second of the measured window}
//
// One thread, Boost.Asio/Beast coroutines. Build: c++ -std=c++20 -O2 loadgen.cc -o loadgen -pthread

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

struct Options {
  std::string host = "127.0.0.1", port, target = "/";
  double rate = 0, duration = 0, warmup = 0;
  int connections = 64;
  std::chrono::milliseconds timeout{5000};
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Result {
  bool counted = false;
  int status = 0;  // 0: timeout or error
  bool timeout = false;
  double ms = 0;
  long second = 0;  // of the measured window, by due time
};

class Run {
 public:
  Run(net::io_context& io, Options o) : io_(io), o_(std::move(o)) {
    auto endpoints = tcp::resolver(io).resolve(o_.host, o_.port);
    endpoint_ = *endpoints.begin();
  }

  net::awaitable<void> schedule() {
    start_ = Clock::now();
    const double total = o_.warmup + o_.duration;
    const long n = static_cast<long>(total * o_.rate);
    net::steady_timer timer(io_);
    for (long k = 0; k < n; ++k) {
      auto due = start_ + std::chrono::nanoseconds(static_cast<long long>(k * 1e9 / o_.rate));
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(use_tuple);
      }
      queue_.push_back(due);
      if (!idle_.empty()) {
        idle_.back()->cancel();
        idle_.pop_back();
      } else if (open_ < o_.connections) {
        ++open_;
        net::co_spawn(io_, connection(), net::detached);
      }
    }
    scheduled_all_ = true;
    // Wake every idle connection so that it sees the end.
    for (auto* t : idle_) t->cancel();
    idle_.clear();
  }

  void print() {
    std::vector<double> all;
    long due = 0, ok = 0, timeouts = 0, errors = 0;
    std::map<int, long> status;
    std::map<long, std::vector<double>> per_second;
    std::map<long, long> ok_per_second;
    for (const Result& r : results_) {
      if (!r.counted) continue;
      ++due;
      all.push_back(r.ms);
      per_second[r.second].push_back(r.ms);
      if (r.timeout) {
        ++timeouts;
      } else if (r.status == 0) {
        ++errors;
      } else {
        ++status[r.status];
        if (r.status >= 200 && r.status < 300) {
          ++ok;
          ++ok_per_second[r.second];
        }
      }
    }
    auto pct = [](std::vector<double>& v, double p) {
      if (v.empty()) return 0.0;
      std::sort(v.begin(), v.end());
      size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
      return v[std::min(i, v.size() - 1)];
    };
    std::string st;
    for (const auto& [code, count] : status) {
      st += (st.empty() ? "" : ",") + std::string("\"") + std::to_string(code) +
            "\":" + std::to_string(count);
    }
    std::string timeline;
    for (auto& [second, v] : per_second) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s[%zu,%ld,%.1f]", timeline.empty() ? "" : ",", v.size(),
                    ok_per_second[second], pct(v, 0.99));
      timeline += buf;
    }
    std::printf(
        "{\"due\":%ld,\"ok\":%ld,\"status\":{%s},\"timeouts\":%ld,\"errors\":%ld,"
        "\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"timeline\":[%s]}\n",
        due, ok, st.c_str(), timeouts, errors, pct(all, 0.50), pct(all, 0.90), pct(all, 0.99),
        pct(all, 1.0), timeline.c_str());
  }

 private:
  void record(Clock::time_point due, int status, bool timeout) {
    Result r;
    double since_start = std::chrono::duration<double>(due - start_).count();
    r.counted = since_start >= o_.warmup;
    r.second = static_cast<long>(since_start - o_.warmup);
    r.status = status;
    r.timeout = timeout;
    r.ms = timeout ? static_cast<double>(o_.timeout.count())
                   : std::chrono::duration<double, std::milli>(Clock::now() - due).count();
    results_.push_back(r);
  }

  net::awaitable<void> connection() {
    beast::tcp_stream stream(io_);
    bool connected = false;
    beast::flat_buffer buffer;
    net::steady_timer idle(io_);
    for (;;) {
      if (queue_.empty()) {
        if (scheduled_all_) break;
        idle.expires_at(Clock::time_point::max());
        idle_.push_back(&idle);
        co_await idle.async_wait(use_tuple);
        continue;
      }
      Clock::time_point due = queue_.front();
      queue_.pop_front();
      Clock::time_point deadline = due + o_.timeout;
      if (Clock::now() >= deadline) {
        record(due, 0, true);  // waited for a connection until the client gave up
        continue;
      }
      stream.expires_at(deadline);
      beast::error_code ec;
      if (!connected) {
        std::tie(ec) = co_await stream.async_connect(endpoint_, use_tuple);
        if (ec) {
          record(due, 0, ec == beast::error::timeout);
          stream.close();
          continue;
        }
        stream.socket().set_option(tcp::no_delay(true));
        connected = true;
        buffer.clear();
      }
      http::request<http::empty_body> req{http::verb::get, o_.target, 11};
      req.set(http::field::host, o_.host + ":" + o_.port);
      req.set(http::field::user_agent, "tandem-bench-loadgen");
      for (const auto& [name, value] : o_.headers) req.set(name, value);
      size_t written = 0;
      std::tie(ec, written) = co_await http::async_write(stream, req, use_tuple);
      http::response<http::string_body> res;
      if (!ec) {
        size_t read = 0;
        std::tie(ec, read) = co_await http::async_read(stream, buffer, res, use_tuple);
      }
      if (ec) {
        record(due, 0, ec == beast::error::timeout);
        stream.close();
        connected = false;
        continue;
      }
      record(due, static_cast<int>(res.result_int()), false);
      if (!res.keep_alive()) {
        stream.close();
        connected = false;
      }
    }
    stream.close();
  }

  net::io_context& io_;
  Options o_;
  tcp::endpoint endpoint_;
  Clock::time_point start_;
  std::deque<Clock::time_point> queue_;
  std::vector<net::steady_timer*> idle_;
  int open_ = 0;
  bool scheduled_all_ = false;
  std::vector<Result> results_;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "loadgen: %s\nusage: loadgen --url http://HOST:PORT/PATH --rate R --duration S "
               "[--warmup W] [--connections C] [--timeout-ms T] [--header 'Name: value']...\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) usage(("no value after " + arg).c_str());
    std::string v = argv[++i];
    if (arg == "--url") {
      if (v.rfind("http://", 0) != 0) usage("--url must be http://HOST:PORT/PATH");
      std::string rest = v.substr(7);
      size_t slash = rest.find('/');
      std::string hostport = rest.substr(0, slash);
      o.target = slash == std::string::npos ? "/" : rest.substr(slash);
      size_t colon = hostport.rfind(':');
      if (colon == std::string::npos) usage("--url needs a port");
      o.host = hostport.substr(0, colon);
      o.port = hostport.substr(colon + 1);
    } else if (arg == "--rate") {
      o.rate = std::atof(v.c_str());
    } else if (arg == "--duration") {
      o.duration = std::atof(v.c_str());
    } else if (arg == "--warmup") {
      o.warmup = std::atof(v.c_str());
    } else if (arg == "--connections") {
      o.connections = std::atoi(v.c_str());
    } else if (arg == "--timeout-ms") {
      o.timeout = std::chrono::milliseconds(std::atol(v.c_str()));
    } else if (arg == "--header") {
      size_t colon = v.find(':');
      if (colon == std::string::npos) usage("--header is 'Name: value'");
      std::string value = v.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      o.headers.emplace_back(v.substr(0, colon), value);
    } else {
      usage(("unknown option " + arg).c_str());
    }
  }
  if (o.port.empty() || o.rate <= 0 || o.duration <= 0 || o.connections < 1 ||
      o.timeout.count() < 1 || o.warmup < 0) {
    usage("--url, a --rate and a --duration above 0 are required");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  net::io_context io;
  Run run(io, std::move(o));
  net::co_spawn(io, run.schedule(), net::detached);
  io.run();
  run.print();
  return 0;
}
