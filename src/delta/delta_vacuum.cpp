#include "delta/delta_vacuum.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "delta/delta_path.h"

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;

bool hidden(const std::string& name) { return !name.empty() && (name[0] == '_' || name[0] == '.'); }

bool mtime_ms(const fs::path& p, int64_t* out) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return false;
  *out = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
  return true;
}

}  // namespace

Status plan_vacuum(const std::string& dir, const TableSnapshot& snapshot, int64_t retention_ms, int64_t now_ms,
                   std::vector<std::string>* deletable) {
  deletable->clear();
  if (retention_ms < 0) return Status::InvalidArgument("vacuum retention must not be negative");
  const int64_t cutoff = now_ms - retention_ms;

  std::set<std::string> active;
  for (const auto& [logged, add] : snapshot.files) {
    if (std::string p = table_relative_file(logged); !p.empty()) active.insert(std::move(p));
  }
  std::map<std::string, int64_t> removed_at;  // tombstones with a deletion time
  for (const auto& [logged, remove] : snapshot.tombstones) {
    std::string p = table_relative_file(logged);
    if (!p.empty() && remove.deletion_timestamp) removed_at[std::move(p)] = *remove.deletion_timestamp;
  }

  std::set<std::string> doomed;
  std::vector<std::pair<std::string, int64_t>> crc_files;  // (relative path, mtime)
  std::error_code ec;
  const fs::path root(dir);
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return Status::IoError("vacuum: list " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IoError("vacuum: list " + dir + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    const fs::file_status st = entry.symlink_status(ec);
    if (ec) return Status::IoError("vacuum: stat " + entry.path().string() + ": " + ec.message());
    if (fs::is_directory(st)) {
      if (hidden(name)) it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_regular_file(st)) continue;  // symlinks, sockets: not data files we wrote
    const std::string rel = entry.path().lexically_relative(root).generic_string();
    int64_t mtime = 0;
    if (!mtime_ms(entry.path(), &mtime)) continue;  // gone meanwhile
    if (hidden(name)) {
      if (name[0] == '.' && name.size() > 5 && name.ends_with(".crc")) crc_files.emplace_back(rel, mtime);
      continue;
    }
    if (active.contains(rel)) continue;
    const auto tomb = removed_at.find(rel);
    const int64_t since = tomb != removed_at.end() ? tomb->second : mtime;
    if (since < cutoff) doomed.insert(rel);
  }

  // Hadoop-style `.NAME.crc` checksums go with their file, or once their file is gone.
  for (const auto& [rel, mtime] : crc_files) {
    const fs::path p(rel);
    const std::string name = p.filename().string();
    const std::string data = (p.parent_path() / name.substr(1, name.size() - 5)).generic_string();
    if (doomed.contains(data) ||
        (!active.contains(data) && !fs::exists(root / data, ec) && mtime < cutoff)) {
      doomed.insert(rel);
    }
  }
  deletable->assign(doomed.begin(), doomed.end());
  return Status::Ok();
}

}  // namespace pixguard::delta
