#include "gateway/gateway_process.h"

#include "gateway/http_test_client.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <thread>

namespace tandem::testing {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

double metric(const GatewayProcess& g, const std::string& sample) {
  HttpResponse r = request(g.admin_port(), "GET", "/metrics");
  size_t at = r.body.find(sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(r.body.substr(at + sample.size() + 1));
}

std::string orders_config() {
  return std::string(R"(listen: 127.0.0.1:0
state: "{state}"
access_log: "{access_log}"
upstream: { url: "{upstream}", timeout: 2s, connect_timeout: 500ms }
client_header: X-Client-Id
versions:
  header: Api-Version
  default: pin
  list:
    - { name: "2024-01-01", deprecated: "2025-06-01T00:00:00Z", sunset: "2099-01-01T00:00:00Z",
        link: "https://example.com/changelog#2024-01-01" }
    - { name: "2025-01-01" }
    - { name: "2026-01-01" }
changes:
  - version: "2025-01-01"
    description: "orders: total (decimal) became total_amount (integer minor units) + currency"
    routes:
      "GET /orders": "data[]"
      "POST /orders": "."
      "/orders/{id}": "."
    fields:
      - rename:  { from: total, to: total_amount }
      - convert: { field: total_amount, up: ". * 100 | round", down: ". / 100" }
      - add:     { field: currency, default: "USD" }
      - remove:  { field: legacy_code, default: null }
      - enum:    { field: status, map: { paid: settled } }
  - version: "2026-01-01"
    description: "orders: note became notes; line items carry unit_price instead of price"
    routes:
      "GET /orders": "data[]"
      "POST /orders": "."
      "/orders/{id}": "."
    fields:
      - rename: { from: note, to: notes }
      - rename: { from: "items[].price", to: "items[].unit_price" }
)");
}

GatewayProcess::GatewayProcess(const std::string& config_yaml, const std::string& upstream_url,
                               const std::string& state_url, int workers)
    : workers_(workers) {
  std::string text = config_yaml;
  replace_all(text, "{upstream}", upstream_url);
  replace_all(text, "{state}",
              state_url.empty() ? "sqlite:" + dir_.path() + "/gateway.db" : state_url);
  access_path_ = dir_.path() + "/access.log";
  replace_all(text, "{access_log}", access_path_);
  config_path_ = dir_.write("api.yaml", text);
  log_path_ = dir_.path() + "/gateway.log";
  start();
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) stop();
}

void GatewayProcess::start() {
  std::string before = read_file(log_path_);
  pid_ = spawn_tandem({"gateway", "--config", config_path_, "--listen", "127.0.0.1:0", "--admin",
                       "127.0.0.1:0", "--workers", std::to_string(workers_)},
                      log_path_);
  static const std::regex ready(R"(listening on 127\.0\.0\.1:(\d+), admin on 127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string log = read_file(log_path_);
    std::string fresh = log.size() >= before.size() ? log.substr(before.size()) : log;
    std::smatch m;
    if (std::regex_search(fresh, m, ready)) {
      port_ = std::stoi(m[1]);
      admin_port_ = std::stoi(m[2]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("tandem gateway exited at start:\n" + fresh);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
  throw std::runtime_error("tandem gateway did not start within 20 s:\n" + read_file(log_path_));
}

int GatewayProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_);
  pid_ = -1;
  return code;
}

void GatewayProcess::restart() {
  if (pid_ > 0) stop();
  start();
}

}  // namespace tandem::testing
