#pragma once
// A real `tandem gateway` process for the end-to-end tests: its config written to a temp dir,
// started on free ports, stopped with SIGTERM.

#include <sys/types.h>

#include <string>

#include "test_util.h"

namespace tandem::testing {

class GatewayProcess {
 public:
  // Writes `config_yaml` to <dir>/api.yaml (with `{upstream}` replaced by `upstream_url` and
  // `{state}` by `state_url`, default sqlite:<dir>/gateway.db), starts the gateway on
  // 127.0.0.1:0 with its admin endpoint, and waits until it listens. Throws when it does not.
  GatewayProcess(const std::string& config_yaml, const std::string& upstream_url,
                 const std::string& state_url = "", int workers = 2);
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  int admin_port() const { return admin_port_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& dir() const { return dir_.path(); }
  std::string log() const { return read_file(log_path_); }  // stderr and stdout
  std::string access_log() const { return read_file(access_path_); }
  // SIGTERM, then the exit code.
  int stop();
  // Starts it again with the same config and state (after stop()).
  void restart();

 private:
  void start();
  TempDir dir_;
  std::string config_path_, log_path_, access_path_;
  int workers_;
  pid_t pid_ = -1;
  int port_ = 0, admin_port_ = 0;
};

// The value of one Prometheus sample (`name{labels}`, exactly as printed) on the gateway's admin
// /metrics, -1 when absent.
double metric(const GatewayProcess& g, const std::string& sample);

// The orders API of examples/gateway/api.yaml as a test config, upstream and state left as
// `{upstream}` / `{state}`, access log to `{access_log}`.
std::string orders_config();

}  // namespace tandem::testing
