// `tandem compat --git REF PATH…` (tandem/compat.h): the old versions come from `git archive`,
// unpacked into a temporary folder so that $refs between files resolve as they did at REF.

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tandem/compat.h"

namespace tandem::compat {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs a shell command; its stdout (trimmed), and whether it exited 0. stderr is captured too.
std::pair<std::string, bool> run(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {"cannot start a shell", false};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return {out, rc == 0};
}

void rename_places(Report& r, const std::string& from, const std::string& to) {
  auto fix = [&](std::string& file) {
    if (file.rfind(from, 0) == 0) file = to + file.substr(from.size());
  };
  for (std::string& f : r.files) fix(f);
  for (PairReport& p : r.pairs) {
    fix(p.old_file);
    fix(p.new_file);
    for (Finding& f : p.findings) {
      fix(f.old_place.file);
      fix(f.new_place.file);
    }
  }
}

}  // namespace

Result<Report> check_against_git(const std::string& ref, const std::vector<std::string>& paths,
                                 const CheckOptions& options) {
  auto [top, ok] = run("git rev-parse --show-toplevel");
  if (!ok) {
    return Status::InvalidInput(fmt::format("--git {}: not inside a git work tree ({})", ref, top),
                                "run tandem compat --git from the repository");
  }
  auto [commit, known] =
      run(fmt::format("git rev-parse --verify --quiet {}^{{commit}}", quote(ref)));
  if (!known) {
    return Status::InvalidInput(fmt::format("--git {}: no such revision", ref),
                                "give a branch, tag or commit (fetch it first in a shallow CI "
                                "clone: git fetch origin main)");
  }
  char tmpl[] = "/tmp/tandem-compat-XXXXXX";
  if (mkdtemp(tmpl) == nullptr)
    return Status::InvalidInput("cannot create a temporary folder", "check /tmp");
  std::string tmp = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmp};
  auto [archive, extracted] = run(fmt::format("git -C {} archive --format=tar {} | tar -x -C {}",
                                              quote(top), quote(commit), quote(tmp)));
  if (!extracted) {
    return Status::InvalidInput(fmt::format("--git {}: git archive failed: {}", ref, archive),
                                "check the revision");
  }
  Report all;
  all.mode = options.mode;
  bool first = true;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::exists(path, ec))
      return Status::InvalidInput(fmt::format("{}: no such file", path), "check the path");
    fs::path rel = fs::relative(fs::weakly_canonical(path, ec), fs::weakly_canonical(top, ec), ec);
    if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) {
      return Status::InvalidInput(fmt::format("{} is outside the repository {}", path, top),
                                  "check files of this repository");
    }
    fs::path old_path = fs::path(tmp) / rel;
    if (!fs::exists(old_path, ec)) {
      all.notes.push_back(fmt::format("{} did not exist at {}: nothing to compare", path, ref));
      continue;
    }
    auto report = check_files({old_path.string(), path}, options);
    if (!report.ok()) {
      std::string msg = report.status().message();
      if (msg.rfind(tmp, 0) == 0) msg = ref + ":" + msg.substr(tmp.size() + 1);
      return Status::InvalidInput(msg, report.status().hint());
    }
    rename_places(*report, tmp + "/", ref + ":");
    if (first) all.format = report->format;
    first = false;
    all.files.insert(all.files.end(), report->files.begin(), report->files.end());
    for (PairReport& p : report->pairs) all.pairs.push_back(std::move(p));
    for (std::string& n : report->notes) all.notes.push_back(std::move(n));
  }
  return all;
}

}  // namespace tandem::compat
