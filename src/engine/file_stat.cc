// The checksum cache: recording a file's stat beside its checksum, and trusting it again.

#include "engine/file_stat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

namespace tandem {
namespace {

long long ns(const struct timespec& t) { return t.tv_sec * 1'000'000'000LL + t.tv_nsec; }

FileStat from_stat(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return {};
  return FileStat{static_cast<long long>(st.st_size), ns(st.st_mtim), ns(st.st_ctim),
                  static_cast<long long>(st.st_ino)};
}

}  // namespace

FileStat stat_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  return from_stat(st);
}

FileStat stat_for_history(const std::string& path, std::string_view expected) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat before, after;
  std::string content;
  bool ok = ::fstat(fd, &before) == 0 && S_ISREG(before.st_mode);
  if (ok) {
    content.resize(static_cast<size_t>(before.st_size) + 1);
    size_t used = 0;
    ssize_t n;
    while ((n = ::read(fd, content.data() + used, content.size() - used)) > 0) {
      used += static_cast<size_t>(n);
      if (used == content.size()) content.resize(content.size() * 2);
    }
    content.resize(used);
    ok = n == 0 && ::fstat(fd, &after) == 0;
  }
  ::close(fd);
  struct timespec now_ts;
  ::clock_gettime(CLOCK_REALTIME, &now_ts);
  if (!ok) return {};
  FileStat first = from_stat(before), stat = from_stat(after);
  // The stat must describe exactly the bytes whose checksum is recorded: nothing changed the
  // file while it was read, and what was read is what the caller hashed (possibly minutes
  // earlier, when the folder was validated).
  if (!stat.recorded() || !(first == stat) || checksum(content) != expected) return {};
  // Racy files (git's "racy clean" problem). A timestamp is only as fine as the clock tick
  // that wrote it (jiffies on Linux, 1 s on ext3/HFS+, 2 s for FAT's mtime), so an edit made
  // right after this stat, in the same tick as the last change, could keep size, mtime and
  // ctime all equal and go unnoticed forever. Once a file's last change is more than 2 s in the
  // past, any later change — a write, a truncate, a rename over it, `touch -d` or utimensat
  // setting the mtime back — stamps a ctime at least 2 s newer than the recorded one, and no
  // program can set ctime back (only the system clock going back that far could). So a file
  // changed within the window is not recorded, and is read by every `status` instead.
  long long now = ns(now_ts);
  if (stat.mtime_ns > now - kRacyWindowNs || stat.ctime_ns > now - kRacyWindowNs) return {};
  return stat;
}

ChecksumCache::ChecksumCache(const std::vector<HistoryRow>& rows) {
  by_version_.reserve(rows.size());
  for (const HistoryRow& r : rows) {
    // A failed or running row is reported as such whatever the file holds; only applied and
    // baselined rows are compared with their files.
    if (r.status != RunStatus::kApplied && r.status != RunStatus::kBaseline) continue;
    if (r.file.recorded()) by_version_.emplace(r.version, &r);
  }
}

const std::string* ChecksumCache::find(std::string_view version, std::string_view name,
                                       const FileStat& now) const {
  auto it = by_version_.find(version);
  if (it == by_version_.end() || it->second->name != name) return nullptr;
  // Every field: a new inode is another file (an editor's save-by-rename, a checkout), a new
  // ctime any change at all, whatever the size and mtime say.
  if (!now.recorded() || !(it->second->file == now)) return nullptr;
  return &it->second->checksum;
}

}  // namespace tandem
