#include "cli/serve_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tandem/db.h"
#include "tandem/duration.h"
#include "tandem/serve.h"

namespace tandem::cli {

namespace {

// The first line of `file`, trailing blanks removed; `what` names the option in errors.
Result<std::string> read_token(const std::string& file, const char* what) {
  std::ifstream in(file);
  if (!in) return Status::InvalidInput(fmt::format("cannot read {} {}", what, file));
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return Status::InvalidInput(fmt::format("{} {} is empty", what, file));
  return token;
}

}  // namespace

void ServeCommand::add(CLI::App& app) {
  cmd = app.add_subcommand(
      "serve",
      "the live dashboard of --db's migrations, backfills and verify results (and gateways' API "
      "versions), and its flags over OpenFeature's remote evaluation protocol (OFREP)");
  cmd->add_option("--listen", listen, "HOST:PORT to serve on (port 0 = any)")
      ->capture_default_str();
  cmd->add_option("--workers", workers, "threads answering requests")->capture_default_str();
  cmd->add_option("--refresh", refresh,
                  "how often the flags and the dashboard are read again (50ms to 1h)")
      ->capture_default_str();
  cmd->add_option("--token-file", token_file,
                  "a file holding the token every /ofrep/ and /api/ request must send "
                  "(Authorization: Bearer or X-API-Key); also $TANDEM_SERVE_TOKEN");
  cmd->add_option("--gateway-admin", gateway_admins,
                  "a gateway's admin listener (http://HOST:PORT) whose API versions, clients and "
                  "rollouts the dashboard shows; repeat for several");
  cmd->add_option("--gateway-token-file", gateway_token_file,
                  "the gateways' admin token, sent with the rollout actions; also "
                  "$TANDEM_GATEWAY_ADMIN_TOKEN");
  cmd->add_flag("--allow-actions", allow_actions,
                "show buttons that pause/resume/cancel backfills and promote/abort rollouts "
                "(needs a token of 16+ characters: --token-file or $TANDEM_SERVE_TOKEN)");
  cmd->footer(
      "The dashboard is at http://HOST:PORT/ (live: it updates itself); its JSON under /api/\n"
      "(overview, series, migrations, events). OpenFeature SDKs read the flags with their OFREP\n"
      "provider: POST /ofrep/v1/evaluate/flags/{key}, POST /ofrep/v1/evaluate/flags (bulk).\n"
      "Also /healthz, /readyz, /metrics (Prometheus). Read-only unless --allow-actions.\n"
      "Runs until SIGINT/SIGTERM. docs/serve.md describes it.\n"
      "Examples:\n"
      "  tandem --db postgres://app@db/app serve --listen 0.0.0.0:8016\n"
      "  tandem --db postgres://app@db/app serve --gateway-admin http://127.0.0.1:9090 \\\n"
      "         --allow-actions --token-file serve.token\n"
      "  curl -s localhost:8016/api/overview\n"
      "  curl -s -XPOST localhost:8016/ofrep/v1/evaluate/flags/orders.read_new \\\n"
      "       -d '{\"context\":{\"targetingKey\":\"tenant-42\"}}'");
}

std::optional<int> ServeCommand::run(const Options& all,
                                     const std::function<int(const Status&)>& fail) const {
  if (!cmd->parsed()) return std::nullopt;
  serve::ServeOptions options;
  options.db_url = all.engine.db_url;
  options.migrations = all;
  options.listen = listen;
  options.workers = workers;
  options.gateway_admins = gateway_admins;
  options.allow_actions = allow_actions;
  long long ms = parse_duration_ms(refresh);
  if (ms <= 0)
    return fail(Status::InvalidInput(fmt::format("--refresh {} is not a duration", refresh),
                                     duration_hint(refresh)));
  options.refresh = std::chrono::milliseconds(ms);
  if (!token_file.empty()) {
    auto t = read_token(token_file, "--token-file");
    if (!t.ok()) return fail(t.status());
    options.token = *t;
  } else if (const char* t = std::getenv("TANDEM_SERVE_TOKEN"); t != nullptr && *t != '\0') {
    options.token = t;
  }
  if (!gateway_token_file.empty()) {
    auto t = read_token(gateway_token_file, "--gateway-token-file");
    if (!t.ok()) return fail(t.status());
    options.gateway_token = *t;
  } else if (const char* t = std::getenv("TANDEM_GATEWAY_ADMIN_TOKEN");
             t != nullptr && *t != '\0') {
    options.gateway_token = t;
  }
  std::string shown = db::redact_url(all.engine.db_url);
  bool with_token = !options.token.empty();
  bool actions = allow_actions;
  options.on_ready = [&shown, with_token, actions](const std::string& bound) {
    // "serving http://HOST:PORT" is what scripts wait for (the OpenFeature test does).
    std::cerr << "tandem serve: serving http://" << bound << " (the dashboard at /; " << shown
              << (with_token ? ", token required" : "")
              << (actions ? ", actions allowed" : ", read-only") << ")\n";
  };
  Status st = serve::run(options);
  if (!st.ok()) return fail(st);
  return 0;
}

}  // namespace tandem::cli
