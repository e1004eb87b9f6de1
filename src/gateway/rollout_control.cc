// Moving rollouts on: the canary analysis every gateway runs against the shared state, and the
// `tandem api rollout` actions (tandem/gateway.h, gateway/rollout_control.h).

#include "gateway/rollout_control.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tandem::gateway {

namespace {

long long interval_seconds(const Analysis& a) {
  return std::max<long long>(1, (a.interval.count() + 999) / 1000);
}

// Measures reach the database up to a sync (half a second) after they were made, from every
// gateway: a window is judged once this much time passed after it ended.
constexpr long long kSlackSeconds = 2;

}  // namespace

Result<bool> advance_rollout(StateStore& store, const Rollout& r, const RolloutState& s,
                             long long now) {
  // A first step of 0 % waits for `api rollout promote`: there is no canary traffic to judge.
  if (s.status != "running" || !r.automatic || s.share <= 0) return false;
  RolloutState next = s;
  long long interval = interval_seconds(r.analysis);
  long long from = std::max(s.step_started, s.analysed_until);
  bool judged = false;
  while (from + interval + kSlackSeconds <= now) {
    TANDEM_ASSIGN_OR_RETURN(auto window, store.rollout_window(r.name, from, from + interval));
    Verdict v = judge(r.analysis, window[0], window[1]);
    if (v.breach) {
      next.status = "aborted";
      next.share = 0;
      next.reason = fmt::format("rolled back at {}% in the window from {}: {}", s.share * 100,
                                iso8601(from), v.reason);
      next.analysed_until = from + interval;
      return store.update_rollout(s, next, "analysis");
    }
    from += interval;
    next.analysed_until = from;
    judged = true;
  }
  long long bake = (r.bake.count() + 999) / 1000;
  if (now - s.step_started >= bake &&
      next.analysed_until >= s.step_started + std::min(bake, interval)) {
    // Baked, and every window of the step passed. Enough canary traffic to have judged?
    TANDEM_ASSIGN_OR_RETURN(auto step_total,
                            store.rollout_window(r.name, s.step_started, next.analysed_until));
    if (step_total[1].requests >= r.analysis.min_requests) {
      if (s.step + 1 < static_cast<int>(r.steps.size())) {
        next.step = s.step + 1;
        next.share = r.steps[next.step];
        next.step_started = now;
        next.analysed_until = now;
        next.reason = fmt::format("step {}% passed its analysis ({} canary requests)",
                                  s.share * 100, step_total[1].requests);
      } else {
        next.status = "complete";
        next.reason = fmt::format("the last step ({}%) passed its analysis", s.share * 100);
      }
      return store.update_rollout(s, next, "analysis");
    }
  }
  if (judged) return store.update_rollout(s, next, "analysis");
  return false;
}

Status sync_rollouts(StateStore& store, const Config& config, RolloutBook& book, bool& ensured) {
  long long now = static_cast<long long>(std::time(nullptr));
  if (!ensured) {
    for (const Rollout& r : config.rollouts) TANDEM_RETURN_IF_ERROR(store.ensure_rollout(r, now));
    ensured = true;
  }
  // This gateway's measures since the last sync, as of this second.
  std::vector<std::tuple<std::string, int, long long, ArmSample>> rows;
  auto taken = book.take();
  for (size_t i = 0; i < taken.size(); ++i) {
    for (int arm = 0; arm < 2; ++arm) {
      if (taken[i][arm].requests > 0)
        rows.emplace_back(config.rollouts[i].name, arm, now, taken[i][arm]);
    }
  }
  Status flushed = store.add_rollout_samples(rows);
  if (!flushed.ok()) {
    book.give_back(std::move(taken));
    return flushed;
  }
  TANDEM_ASSIGN_OR_RETURN(auto states, store.load_rollouts());
  bool moved = false;
  for (const Rollout& r : config.rollouts) {
    auto it = std::find_if(states.begin(), states.end(),
                           [&](const RolloutState& s) { return s.name == r.name; });
    if (it == states.end()) continue;
    TANDEM_ASSIGN_OR_RETURN(bool changed, advance_rollout(store, r, *it, now));
    moved = moved || changed;
  }
  if (moved) {
    auto before = states;
    TANDEM_ASSIGN_OR_RETURN(states, store.load_rollouts());
    // What this gateway's analysis did, said in its log (the history has it too).
    for (const RolloutState& now_state : states) {
      for (const RolloutState& was : before) {
        if (was.name != now_state.name) continue;
        if (was.status != now_state.status || was.step != now_state.step) {
          std::fprintf(stderr, "tandem gateway: rollout %s: %s at %g%% (was %s at %g%%): %s\n",
                       now_state.name.c_str(), now_state.status.c_str(),
                       now_state.status == "aborted" ? 0.0 : now_state.share * 100,
                       was.status.c_str(), was.share * 100, now_state.reason.c_str());
        }
      }
    }
  }
  std::vector<RolloutState> ordered;
  for (const Rollout& r : config.rollouts) {
    auto it = std::find_if(states.begin(), states.end(),
                           [&](const RolloutState& s) { return s.name == r.name; });
    if (it != states.end()) {
      ordered.push_back(*it);
    } else {
      RolloutState fresh;
      fresh.name = r.name;
      fresh.share = r.steps.empty() ? 0 : r.steps.front();
      ordered.push_back(std::move(fresh));
    }
  }
  book.publish(std::move(ordered));
  // A day of measures is kept (`rollout status` reads the current step's).
  if (now % 600 == 0) (void)store.prune_rollout_samples(now - 86400);
  return Status::Ok();
}

namespace {

RolloutReport report_of(StateStore& store, const Config& config, const Rollout& r,
                        const RolloutState* s, long long now) {
  RolloutReport out;
  out.name = r.name;
  out.baseline = config.upstreams[r.baseline].name;
  out.canary = config.upstreams[r.canary].name;
  out.steps = r.steps;
  out.automatic = r.automatic;
  if (!s) {
    out.status = "not started";
    return out;
  }
  out.step = s->step;
  out.share = s->status == "aborted" ? 0 : s->share;
  out.status = s->status;
  out.reason = s->reason;
  out.step_started = iso8601(s->step_started);
  out.updated = iso8601(s->updated);
  long long bake = (r.bake.count() + 999) / 1000;
  if (s->status == "running") out.bake_left_seconds = std::max(0LL, s->step_started + bake - now);
  auto window = store.rollout_window(r.name, s->step_started, now + 1);
  if (window.ok()) {
    Verdict v = judge(r.analysis, (*window)[0], (*window)[1]);
    out.baseline_requests = (*window)[0].requests;
    out.canary_requests = (*window)[1].requests;
    out.baseline_errors = (*window)[0].errors;
    out.canary_errors = (*window)[1].errors;
    out.baseline_error_rate = v.baseline_error_rate;
    out.canary_error_rate = v.canary_error_rate;
    out.baseline_p99_ms = v.baseline_p99 * 1000;
    out.canary_p99_ms = v.canary_p99 * 1000;
  }
  auto history = store.rollout_history(r.name, 20);
  if (history.ok()) {
    for (const auto& e : *history) {
      out.history.push_back({iso8601(e.at), e.status, e.reason, e.actor, e.step, e.share});
    }
  }
  return out;
}

const Rollout* find_rollout(const Config& config, const std::string& name) {
  for (const Rollout& r : config.rollouts) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// Who ran the command: $USER, else the account of the process's uid, else the uid.
std::string actor() {
  const char* user = std::getenv("USER");
  if (user && *user) return fmt::format("tandem api rollout ({})", user);
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name && *pw->pw_name) {
    return fmt::format("tandem api rollout ({})", pw->pw_name);
  }
  return fmt::format("tandem api rollout (uid {})", getuid());
}

}  // namespace

Result<std::vector<RolloutReport>> rollout_reports(StateStore& store, const Config& config) {
  TANDEM_ASSIGN_OR_RETURN(auto states, store.load_rollouts());
  long long now = static_cast<long long>(std::time(nullptr));
  std::vector<RolloutReport> out;
  for (const Rollout& r : config.rollouts) {
    auto it = std::find_if(states.begin(), states.end(),
                           [&](const RolloutState& s) { return s.name == r.name; });
    out.push_back(report_of(store, config, r, it == states.end() ? nullptr : &*it, now));
  }
  return out;
}

Result<std::vector<RolloutReport>> rollout_status(const Config& config) {
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state, /*create=*/false));
  return rollout_reports(*store, config);
}

Result<RolloutReport> rollout_action(const Config& config, const std::string& name,
                                     const std::string& action, const std::string& reason,
                                     const std::string& who) {
  const Rollout* r = find_rollout(config, name);
  if (!r) {
    std::string known;
    for (const Rollout& x : config.rollouts) known += (known.empty() ? "" : ", ") + x.name;
    return Status::InvalidInput(
        fmt::format("`{}` is not a rollout in {}", name, config.path),
        known.empty() ? "the config declares no `rollouts`" : fmt::format("one of: {}", known));
  }
  if (action != "promote" && action != "pause" && action != "resume" && action != "abort") {
    return Status::InvalidInput(fmt::format("`{}` is not a rollout action", action),
                                "one of: status, promote, pause, resume, abort");
  }
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state));
  // Compare and set: a gateway's analysis may move the rollout at the same moment.
  for (int attempt = 0; attempt < 5; ++attempt) {
    long long now = static_cast<long long>(std::time(nullptr));
    TANDEM_RETURN_IF_ERROR(store->ensure_rollout(*r, now));
    TANDEM_ASSIGN_OR_RETURN(auto states, store->load_rollouts());
    auto it = std::find_if(states.begin(), states.end(),
                           [&](const RolloutState& s) { return s.name == name; });
    if (it == states.end())
      return Status::Database(fmt::format("the state of rollout {} vanished", name), "",
                              "try again");
    RolloutState s = *it, next = *it;
    std::string why = reason.empty() ? fmt::format("{} by hand", action) : reason;
    if (action == "promote") {
      if (s.status == "complete") {
        return Status::InvalidInput(fmt::format("rollout {} is complete already", name),
                                    "nothing to promote");
      }
      if (s.status == "aborted") {
        return Status::InvalidInput(
            fmt::format("rollout {} was aborted: {}", name, s.reason),
            fmt::format("resume it first: tandem api rollout resume {}", name));
      }
      if (s.step + 1 < static_cast<int>(r->steps.size())) {
        next.step = s.step + 1;
        next.share = r->steps[next.step];
        next.status = s.status == "paused" ? "paused" : "running";
      } else {
        next.status = "complete";
      }
      next.step_started = now;
      next.analysed_until = now;
    } else if (action == "pause") {
      if (s.status != "running") {
        return Status::InvalidInput(fmt::format("rollout {} is {}, not running", name, s.status),
                                    "only a running rollout pauses");
      }
      next.status = "paused";
    } else if (action == "resume") {
      if (s.status == "running" || s.status == "complete") {
        return Status::InvalidInput(fmt::format("rollout {} is {} already", name, s.status),
                                    "resume goes on after pause or abort");
      }
      if (s.status == "aborted") {
        next.step = 0;
        next.share = r->steps.front();
      }
      next.status = "running";
      next.step_started = now;
      next.analysed_until = now;
    } else {  // abort
      if (s.status == "aborted") {
        return Status::InvalidInput(
            fmt::format("rollout {} was aborted already: {}", name, s.reason),
            "every client is on the baseline");
      }
      next.status = "aborted";
      next.share = 0;
    }
    next.reason = why;
    TANDEM_ASSIGN_OR_RETURN(bool applied,
                            store->update_rollout(s, next, who.empty() ? actor() : who));
    if (!applied) continue;
    TANDEM_ASSIGN_OR_RETURN(auto after, store->load_rollouts());
    auto a = std::find_if(after.begin(), after.end(),
                          [&](const RolloutState& x) { return x.name == name; });
    return report_of(*store, config, *r, a == after.end() ? nullptr : &*a, now);
  }
  return Status::Database(
      fmt::format("rollout {} kept changing under this command (5 attempts)", name), "",
      "try again; a gateway's analysis moved it meanwhile");
}

Result<bool> set_degrade_switch(const Config& config, const std::string& name, bool on,
                                const std::string& reason) {
  bool known = false;
  for (const RoutePolicy& r : config.routes) {
    known = known || (!name.empty() && r.partial.switch_name == name);
  }
  if (!known) {
    std::string names;
    for (const RoutePolicy& r : config.routes) {
      if (!r.partial.switch_name.empty())
        names += (names.empty() ? "" : ", ") + r.partial.switch_name;
    }
    return Status::InvalidInput(
        fmt::format("no route of {} has a partial response with `switch: {}`", config.path, name),
        names.empty() ? "add partial: { drop: […], switch: NAME } to a route"
                      : fmt::format("one of: {}", names));
  }
  TANDEM_ASSIGN_OR_RETURN(auto store, StateStore::open(config.state));
  return store->set_switch(name, on, reason);
}

}  // namespace tandem::gateway
