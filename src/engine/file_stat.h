#pragma once
// The checksum cache: each applied history row records the stat (size, mtime, ctime, inode) of
// the file its checksum was taken from, so `status` can take an unchanged applied file's
// checksum from the history instead of reading and hashing the file again (git's index does
// the same for `git status`).
//
// Writing commands record a stat only when it provably describes the hashed bytes and is not
// "racy" (stat_for_history); `status` trusts a recorded stat only when the file's stat now is
// equal in every field (ChecksumCache). Every other file is read, hashed and parsed as before.
// `validate`, `up`, `down`, `plan` and `repair` never use the cache: they read every file.

#include <future>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/state.h"

namespace tandem {

// The stat of the file at `path` (symlinks followed, as reading it does). An unrecorded
// FileStat (all 0) when it cannot be stat'd or is not a regular file.
FileStat stat_file(const std::string& path);

// The stat to record beside `checksum` in a history row for the file at `path`: the file is
// read again through one descriptor, fstat'd before and after the read, and the stat is
// returned only when
//   - both fstats are equal and the bytes read hash to `checksum` (the stat describes exactly
//     the content whose checksum is recorded, whatever happened to the file since the folder
//     was first read), and
//   - the file's mtime and ctime are both more than kRacyWindowNs older than the moment the
//     stat was taken (see file_stat.cc for why).
// Otherwise an unrecorded FileStat: that row's file is simply read by every `status`.
FileStat stat_for_history(const std::string& path, std::string_view checksum);

// A file changed less than this long before its stat was taken is not recorded.
constexpr long long kRacyWindowNs = 2'000'000'000;

// Checksums `load_migrations_cached` may take from the history instead of reading a file:
// those of applied (or baselined) rows that recorded a stat. Refers to `rows`, which must
// outlive it.
class ChecksumCache {
 public:
  ChecksumCache() = default;
  explicit ChecksumCache(const std::vector<HistoryRow>& rows);

  // The recorded checksum of the file `<version>_<name>.<ext>` whose stat now is `now`, or
  // null when the file must be read: no applied row of that version and name, no recorded
  // stat, or any field of the stat differs.
  const std::string* find(std::string_view version, std::string_view name,
                          const FileStat& now) const;
  bool empty() const { return by_version_.empty(); }

 private:
  std::unordered_map<std::string_view, const HistoryRow*> by_version_;  // keys: the rows' versions
};

// Reads the migrations folder like load_migrations(dir), except that a file the cache knows
// with an unchanged stat is not read: its Migration carries version, name, file, path and
// checksum only (no sections, no operations), which is all `status` uses. Such a file is not
// parsed again, so a problem in it that only parsing finds is not reported — tandem records a
// stat only for a file that had none (see stat_for_history's callers). The folder is listed
// and every file stat'd before `cache` is waited for: `status` loads the history meanwhile.
MigrationSet load_migrations_cached(const std::string& dir, const Formats& formats,
                                    const std::shared_future<ChecksumCache>& cache,
                                    const InputLimits& limits = {});

}  // namespace tandem
