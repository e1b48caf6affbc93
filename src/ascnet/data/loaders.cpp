// csv, folder, esc50 and urbansound8k layouts.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "ascnet/data/detail.h"

namespace ascnet::data_detail {
namespace fs = std::filesystem;

namespace {

/// One split per distinct fold value: test = that fold, train = the others.
void FoldSplits(Dataset& ds, const std::vector<long>& fold_of_item) {
  std::set<long> folds(fold_of_item.begin(), fold_of_item.end());
  for (long f : folds) {
    Split s;
    s.name = "fold" + std::to_string(f);
    for (size_t i = 0; i < fold_of_item.size(); ++i) (fold_of_item[i] == f ? s.test : s.train).push_back(static_cast<int>(i));
    ds.splits.push_back(std::move(s));
  }
}

/// Classes named by an integer id column plus a name column (ESC-50 target/category,
/// UrbanSound8K classID/class). Checks that id and name agree on every row.
class IdClasses {
 public:
  void Add(long id, const std::string& name, const std::string& file, int line, Problems& p) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
      by_id_[id] = {name, line};
    } else if (it->second.first != name) {
      p.Add(file, line, "class id " + std::to_string(id) + " is named '" + name + "' here but '" + it->second.first +
                            "' on line " + std::to_string(it->second.second));
    }
  }
  /// Fills ds.classes in id order; returns id -> class index. contiguous: ids must be
  /// 0..max (a missing one is an empty class).
  std::map<long, int> Build(Dataset& ds, bool contiguous, const std::string& file, const std::string& what,
                            Problems& p) const {
    std::map<long, int> index;
    for (const auto& [id, nl] : by_id_) {
      index[id] = static_cast<int>(ds.classes.size());
      ds.classes.push_back(nl.first);
    }
    if (contiguous && !by_id_.empty()) {
      // ids are distinct and >= 0, so max >= size - 1; the count cannot overflow. Only the
      // first few missing ids are named (fuzz_dataset_csv: one row with classID
      // 44444444444444445 made this loop try to list 4e16 empty classes).
      const long max_id = by_id_.rbegin()->first;
      const long missing = max_id - static_cast<long>(by_id_.size() - 1);
      constexpr long kNamed = 10;
      long named = 0;
      for (long id = 0; id <= max_id && named < std::min(missing, kNamed); ++id) {
        if (!by_id_.count(id)) {
          p.Add(file, 0, "no row has " + what + " " + std::to_string(id) + " (empty class)");
          ++named;
        }
      }
      if (missing > named) {
        p.Add(file, 0, std::to_string(missing - named) + " more " + what + " values up to " + std::to_string(max_id) +
                           " have no row (" + what + " must run from 0 to the number of classes - 1)");
      }
    }
    return index;
  }

 private:
  std::map<long, std::pair<std::string, int>> by_id_;
};

std::string Columns(const Record& header) {
  std::string s;
  for (const auto& f : header.fields) s += (s.empty() ? "" : ",") + f;
  return s;
}

/// Reads a CSV with a header; checks the required columns. Returns false (problems
/// added) if the file is unusable.
bool ReadTable(const std::string& file, const std::vector<std::string>& required, std::vector<Record>* rows,
               std::map<std::string, int>* cols, Problems& p) {
  *rows = ReadDelimited(file, ',', true, false, p);
  if (!p.empty()) return false;
  std::string req;
  for (const auto& r : required) req += (req.empty() ? "" : ",") + r;
  if (rows->empty()) {
    p.Add(file, 0, "empty file: expected a header row with the columns " + req);
    return false;
  }
  *cols = HeaderIndex(rows->front());
  bool ok = true;
  for (const auto& r : required) {
    if (!cols->count(r)) {
      p.Add(file, rows->front().line,
            "header lacks the column '" + r + "' (expected at least " + req + "; found " + Columns(rows->front()) + ")");
      ok = false;
    }
  }
  return ok;
}

bool FieldCountOk(const std::string& file, const Record& r, size_t n, Problems& p) {
  if (r.fields.size() == n) return true;
  p.Add(file, r.line, "malformed line: expected " + std::to_string(n) + " fields as in the header, got " +
                          std::to_string(r.fields.size()) + " (quote fields that contain commas)");
  return false;
}

/// Duplicate detection by id: returns false (problem added) for a repeat.
bool FirstTime(std::map<std::string, int>& seen, const std::string& id, const std::string& file, int line, Problems& p) {
  auto [it, inserted] = seen.emplace(id, line);
  if (!inserted) {
    p.Add(file, line, "duplicate entry '" + id + "' (first listed on line " + std::to_string(it->second) + ")");
  }
  return inserted;
}

}  // namespace

// ---------------------------------------------------------------------------------- csv
void LoadCsv(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  const std::string file = JoinPath(".", path);
  ds.root = fs::path(file).parent_path().string();
  if (!IsRegularFile(file)) {
    p.Add(file, 0, "missing metadata file: expected a CSV whose header has the columns filename,label "
                   "(and optionally fold or split)");
    p.ThrowIfAny(ds.spec);
  }
  std::vector<Record> rows;
  std::map<std::string, int> cols;
  if (!ReadTable(file, {"filename", "label"}, &rows, &cols, p)) p.ThrowIfAny(ds.spec);
  const int cf = cols["filename"], cl = cols["label"];
  const int cfold = cols.count("fold") ? cols["fold"] : -1;
  const int csplit = cfold < 0 && cols.count("split") ? cols["split"] : -1;
  int cgroup = -1;
  for (const char* g : {"group", "source", "identifier"}) {
    if (cgroup < 0 && cols.count(g)) cgroup = cols[g];
  }
  const size_t nf = rows.front().fields.size();
  struct Row {
    std::string id, label, group;
    long fold = 0;
    bool test = false;
    int line;
  };
  std::vector<Row> good;
  std::map<std::string, int> seen;
  for (size_t r = 1; r < rows.size(); ++r) {
    const Record& rec = rows[r];
    if (!FieldCountOk(file, rec, nf, p)) continue;
    Row row;
    row.line = rec.line;
    row.id = NormaliseId(rec.fields[cf]);
    row.label = rec.fields[cl];
    bool ok = true;
    if (row.id.empty()) {
      p.Add(file, rec.line, "empty filename");
      ok = false;
    }
    if (row.label.empty()) {
      p.Add(file, rec.line, "empty label");
      ok = false;
    }
    if (cfold >= 0 && !ParseInt(rec.fields[cfold], &row.fold)) {
      p.Add(file, rec.line, "fold '" + rec.fields[cfold] + "' is not an integer");
      ok = false;
    }
    if (csplit >= 0) {
      const std::string v = ToLower(rec.fields[csplit]);
      if (v == "train") {
        row.test = false;
      } else if (v == "test") {
        row.test = true;
      } else {
        p.Add(file, rec.line, "split '" + rec.fields[csplit] + "' must be train or test");
        ok = false;
      }
    }
    if (cgroup >= 0) row.group = rec.fields[cgroup];
    if (!row.id.empty() && !FirstTime(seen, row.id, file, rec.line, p)) ok = false;
    if (ok) good.push_back(row);
  }
  std::set<std::string> labels;
  for (const auto& r : good) labels.insert(r.label);
  ds.classes.assign(labels.begin(), labels.end());
  Origins org;
  std::vector<long> folds;
  Split one;
  one.name = csplit >= 0 ? "split" : "all";
  for (const auto& r : good) {
    DatasetItem it;
    it.id = r.id;
    it.path = JoinPath(ds.root, r.id);
    it.label = static_cast<int>(std::lower_bound(ds.classes.begin(), ds.classes.end(), r.label) - ds.classes.begin());
    it.group = r.group;
    const int idx = static_cast<int>(ds.items.size());
    ds.items.push_back(it);
    org.where.push_back(Where(file, r.line));
    folds.push_back(r.fold);
    (r.test ? one.test : one.train).push_back(idx);
  }
  if (cfold >= 0) {
    FoldSplits(ds, folds);
  } else {
    ds.splits.push_back(std::move(one));
  }
  Finish(ds, org, o, p);
}

// ------------------------------------------------------------------------------- folder
void LoadFolder(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  ds.root = JoinPath(".", path);
  if (!IsDirectory(ds.root)) {
    p.Add(ds.root, 0, "dataset folder not found (expected one sub-folder per class with audio files inside)");
    p.ThrowIfAny(ds.spec);
  }
  const auto exts = ParseExtensions(o.extensions);
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ds.root, ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name[0] != '.' && e.is_directory(ec)) dirs.push_back(name);
  }
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) p.Add(ds.root, 0, "no class sub-folders found (expected one sub-folder per class)");
  Origins org;
  Split all;
  all.name = "all";
  for (const auto& d : dirs) {
    const std::string dir = (fs::path(ds.root) / d).string();
    const auto files = ListAudioFiles(dir, exts);
    if (files.empty()) {
      p.Add(dir, 0, "class folder has no audio files (empty class; extensions looked for: " + o.extensions + ")");
      continue;
    }
    const int label = static_cast<int>(ds.classes.size());
    ds.classes.push_back(d);
    for (const auto& f : files) {
      DatasetItem it;
      it.path = JoinPath(".", f);
      it.id = fs::path(f).lexically_relative(ds.root).generic_string();
      it.label = label;
      all.train.push_back(static_cast<int>(ds.items.size()));
      ds.items.push_back(it);
      org.where.push_back(Where(f, 0));
    }
  }
  ds.splits.push_back(std::move(all));
  Finish(ds, org, o, p);
}

// -------------------------------------------------------------------------------- esc50
namespace {

// The old karolpiczak/ESC-50 layout: "101 - Dog/1-100032-A.ogg".
void LoadEsc50ClassFolders(Dataset& ds, const std::vector<std::pair<long, std::string>>& class_dirs,
                           const DatasetOptions& o, Problems& p) {
  static const std::set<std::string> kEsc10 = {"dog",      "rooster",        "rain",        "sea_waves",  "crackling_fire",
                                               "crying_baby", "sneezing", "clock_tick", "helicopter", "chainsaw"};
  const auto exts = ParseExtensions(o.extensions);
  Origins org;
  std::vector<long> folds;
  for (const auto& [num, dir] : class_dirs) {
    const std::string base = fs::path(dir).filename().string();
    std::string name = ToLower(Trim(base.substr(base.find('-') + 1)));
    std::replace(name.begin(), name.end(), ' ', '_');
    if (o.esc10 && !kEsc10.count(name)) continue;
    const auto files = ListAudioFiles(dir, exts);
    if (files.empty()) {
      p.Add(dir, 0, "class folder has no audio files (empty class)");
      continue;
    }
    const int label = static_cast<int>(ds.classes.size());
    ds.classes.push_back(name);
    for (const auto& f : files) {
      const std::string stem = fs::path(f).stem().string();
      const size_t d1 = stem.find('-');
      long fold = 0;
      if (d1 == std::string::npos || !ParseInt(stem.substr(0, d1), &fold)) {
        p.Add(f, 0, "file name does not start with a fold number (expected {FOLD}-{CLIP_ID}-{TAKE}.ogg)");
        continue;
      }
      const size_t d2 = stem.find('-', d1 + 1);
      DatasetItem it;
      it.path = JoinPath(".", f);
      it.id = fs::path(f).lexically_relative(ds.root).generic_string();
      it.label = label;
      it.group = stem.substr(d1 + 1, d2 == std::string::npos ? std::string::npos : d2 - d1 - 1);
      ds.items.push_back(it);
      org.where.push_back(Where(f, 0));
      folds.push_back(fold);
    }
  }
  FoldSplits(ds, folds);
  Finish(ds, org, o, p);
}

}  // namespace

void LoadEsc50(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  ds.root = JoinPath(".", path);
  const std::string file = (fs::path(ds.root) / "meta" / "esc50.csv").string();
  if (!IsRegularFile(file)) {
    // Old layout: class folders "NNN - Name".
    std::vector<std::pair<long, std::string>> class_dirs;
    std::error_code ec;
    if (IsDirectory(ds.root)) {
      for (const auto& e : fs::directory_iterator(ds.root, ec)) {
        const std::string name = e.path().filename().string();
        const size_t dash = name.find(" - ");
        long num = 0;
        if (e.is_directory(ec) && dash != std::string::npos && ParseInt(name.substr(0, dash), &num)) {
          class_dirs.emplace_back(num, e.path().string());
        }
      }
    }
    if (!class_dirs.empty()) {
      std::sort(class_dirs.begin(), class_dirs.end());
      LoadEsc50ClassFolders(ds, class_dirs, o, p);
      return;
    }
    p.Add(file, 0, "missing metadata file: expected the ESC-50 layout (meta/esc50.csv and audio/) or the old "
                   "class-folder layout (\"101 - Dog/1-100032-A.ogg\")");
    p.ThrowIfAny(ds.spec);
  }
  std::vector<Record> rows;
  std::map<std::string, int> cols;
  std::vector<std::string> required = {"filename", "fold", "target", "category"};
  if (o.esc10) required.push_back("esc10");
  if (!ReadTable(file, required, &rows, &cols, p)) p.ThrowIfAny(ds.spec);
  const int cf = cols["filename"], cfold = cols["fold"], ct = cols["target"], cc = cols["category"];
  const int c10 = cols.count("esc10") ? cols["esc10"] : -1;
  const int csrc = cols.count("src_file") ? cols["src_file"] : -1;
  const size_t nf = rows.front().fields.size();
  struct Row {
    std::string id, group;
    long fold, target;
    int line;
  };
  std::vector<Row> good;
  std::map<std::string, int> seen;
  IdClasses classes;
  for (size_t r = 1; r < rows.size(); ++r) {
    const Record& rec = rows[r];
    if (!FieldCountOk(file, rec, nf, p)) continue;
    Row row{NormaliseId(rec.fields[cf]), csrc >= 0 ? rec.fields[csrc] : std::string(), 0, 0, rec.line};
    bool ok = true;
    if (row.id.empty()) {
      p.Add(file, rec.line, "empty filename");
      ok = false;
    }
    if (!ParseInt(rec.fields[cfold], &row.fold)) {
      p.Add(file, rec.line, "fold '" + rec.fields[cfold] + "' is not an integer (expected 1-5)");
      ok = false;
    }
    if (!ParseInt(rec.fields[ct], &row.target) || row.target < 0) {
      p.Add(file, rec.line, "target '" + rec.fields[ct] + "' is not a class number (expected 0-49)");
      ok = false;
    }
    if (rec.fields[cc].empty()) {
      p.Add(file, rec.line, "empty category");
      ok = false;
    }
    bool keep = true;
    if (c10 >= 0) {
      const std::string v = ToLower(rec.fields[c10]);
      if (v != "true" && v != "false") {
        p.Add(file, rec.line, "esc10 '" + rec.fields[c10] + "' must be True or False");
        ok = false;
      }
      keep = !o.esc10 || v == "true";
    }
    if (!row.id.empty() && !FirstTime(seen, row.id, file, rec.line, p)) ok = false;
    if (ok && keep) {
      classes.Add(row.target, rec.fields[cc], file, rec.line, p);
      good.push_back(row);
    }
  }
  const auto index = classes.Build(ds, !o.esc10, file, "target", p);
  Origins org;
  std::vector<long> folds;
  for (const auto& r : good) {
    DatasetItem it;
    it.id = r.id;
    it.path = JoinPath((fs::path(ds.root) / "audio").string(), r.id);
    it.label = index.at(r.target);
    it.group = r.group;
    ds.items.push_back(it);
    org.where.push_back(Where(file, r.line));
    folds.push_back(r.fold);
  }
  FoldSplits(ds, folds);
  Finish(ds, org, o, p);
}

// ------------------------------------------------------------------------- urbansound8k
void LoadUrbanSound8k(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  const std::string given = JoinPath(".", path);
  ds.root = given;
  std::string file = (fs::path(given) / "metadata" / "UrbanSound8K.csv").string();
  if (!IsRegularFile(file)) {
    const std::string nested = (fs::path(given) / "UrbanSound8K" / "metadata" / "UrbanSound8K.csv").string();
    if (IsRegularFile(nested)) {
      ds.root = (fs::path(given) / "UrbanSound8K").string();
      file = nested;
    } else {
      p.Add(file, 0, "missing metadata file: expected UrbanSound8K/metadata/UrbanSound8K.csv and "
                     "UrbanSound8K/audio/fold{1..10}/ (PATH may be the UrbanSound8K folder or its parent; also "
                     "looked for " + nested + ")");
      p.ThrowIfAny(ds.spec);
    }
  }
  std::vector<Record> rows;
  std::map<std::string, int> cols;
  if (!ReadTable(file, {"slice_file_name", "fsid", "fold", "classid", "class"}, &rows, &cols, p)) {
    p.ThrowIfAny(ds.spec);
  }
  const int cf = cols["slice_file_name"], cg = cols["fsid"], cfold = cols["fold"], cid = cols["classid"],
            cc = cols["class"];
  const size_t nf = rows.front().fields.size();
  struct Row {
    std::string id, group;
    long fold, cls;
    int line;
  };
  std::vector<Row> good;
  std::map<std::string, int> seen;
  IdClasses classes;
  for (size_t r = 1; r < rows.size(); ++r) {
    const Record& rec = rows[r];
    if (!FieldCountOk(file, rec, nf, p)) continue;
    Row row{rec.fields[cf], rec.fields[cg], 0, 0, rec.line};
    bool ok = true;
    if (row.id.empty()) {
      p.Add(file, rec.line, "empty slice_file_name");
      ok = false;
    }
    if (!ParseInt(rec.fields[cfold], &row.fold) || row.fold < 1) {
      p.Add(file, rec.line, "fold '" + rec.fields[cfold] + "' is not a fold number (expected 1-10)");
      ok = false;
    }
    if (!ParseInt(rec.fields[cid], &row.cls) || row.cls < 0) {
      p.Add(file, rec.line, "classID '" + rec.fields[cid] + "' is not a class number (expected 0-9)");
      ok = false;
    }
    if (rec.fields[cc].empty()) {
      p.Add(file, rec.line, "empty class");
      ok = false;
    }
    if (!row.id.empty() && !FirstTime(seen, row.id, file, rec.line, p)) ok = false;
    if (ok) {
      classes.Add(row.cls, rec.fields[cc], file, rec.line, p);
      good.push_back(row);
    }
  }
  const auto index = classes.Build(ds, true, file, "classID", p);
  Origins org;
  std::vector<long> folds;
  for (const auto& r : good) {
    DatasetItem it;
    it.id = "fold" + std::to_string(r.fold) + "/" + r.id;
    it.path = JoinPath((fs::path(ds.root) / "audio").string(), it.id);
    it.label = index.at(r.cls);
    it.group = r.group;
    ds.items.push_back(it);
    org.where.push_back(Where(file, r.line));
    folds.push_back(r.fold);
  }
  FoldSplits(ds, folds);
  Finish(ds, org, o, p);
}

}  // namespace ascnet::data_detail
