// TUT Acoustic Scenes 2016/2017 (meta.txt), TUT Urban 2018 and TAU 2019/2020+ (meta.csv).
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "ascnet/data/detail.h"

namespace ascnet::data_detail {
namespace fs = std::filesystem;

namespace {

std::string GroupFromName(const std::string& id, bool underscore_style) {
  const std::string stem = fs::path(id).stem().string();
  if (underscore_style) return stem.substr(0, stem.find('_'));
  // dcase_util: '-'.join(stem.split('-')[1:-2])
  std::vector<std::string> tok;
  size_t b = 0;
  while (true) {
    const size_t e = stem.find('-', b);
    tok.push_back(stem.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  if (tok.size() < 4) return stem;
  std::string g;
  for (size_t i = 1; i + 2 < tok.size(); ++i) g += (g.empty() ? "" : "-") + tok[i];
  return g;
}

struct MetaIndex {
  std::map<std::string, int> by_id;                 // normalised id -> item index
  std::map<std::string, std::vector<int>> by_base;  // file name -> item indices
  std::string meta_name;                            // "meta.txt" / "meta.csv" for messages
};

/// Reads one evaluation_setup file; returns the item indices it lists.
std::vector<int> ReadSplitFile(const std::string& file, const Dataset& ds, const MetaIndex& meta, Problems& p) {
  std::vector<int> out;
  auto recs = ReadDelimited(file, '\t', false, true, p);
  std::map<std::string, int> seen;
  for (size_t r = 0; r < recs.size(); ++r) {
    const Record& rec = recs[r];
    if (r == 0 && ToLower(rec.fields[0]) == "filename") continue;  // header (TAU 2019/2020 .csv)
    const std::string id = NormaliseId(rec.fields[0]);
    if (id.empty()) {
      p.Add(file, rec.line, "malformed line: expected <audio file>[<TAB><scene label>]");
      continue;
    }
    int idx = -1;
    auto it = meta.by_id.find(id);
    if (it != meta.by_id.end()) {
      idx = it->second;
    } else {
      auto b = meta.by_base.find(fs::path(id).filename().string());
      if (b != meta.by_base.end() && b->second.size() == 1) idx = b->second[0];
    }
    if (idx < 0) {
      p.Add(file, rec.line, "'" + id + "' is not listed in " + meta.meta_name);
      continue;
    }
    auto [sit, inserted] = seen.emplace(id, rec.line);
    if (!inserted) {
      p.Add(file, rec.line, "duplicate entry '" + id + "' (first listed on line " + std::to_string(sit->second) + ")");
      continue;
    }
    if (rec.fields.size() >= 2 && !rec.fields[1].empty()) {
      const std::string& label = rec.fields[1];
      auto c = std::find(ds.classes.begin(), ds.classes.end(), label);
      if (c == ds.classes.end()) {
        p.Add(file, rec.line, "unknown label '" + label + "' (classes in " + meta.meta_name + ": " +
                                  Join(ds.classes, ", ") + ")");
        continue;
      }
      if (ds.classes[ds.items[idx].label] != label) {
        p.Add(file, rec.line, "label '" + label + "' of '" + id + "' differs from its label '" +
                                  ds.classes[ds.items[idx].label] + "' in " + meta.meta_name);
        continue;
      }
    }
    out.push_back(idx);
  }
  return out;
}

/// Phase 1: the metadata file (meta.txt for TUT 2016/2017, meta.csv for the later sets;
/// either is accepted, the kind's own first).
std::string FindTutMeta(const Dataset& ds, Problems& p) {
  const bool old_style = ds.kind == "dcase2016" || ds.kind == "dcase2017";
  if (!IsDirectory(ds.root)) {
    p.Add(ds.root, 0, "dataset folder not found");
    p.ThrowIfAny(ds.spec);
  }
  const std::string txt = (fs::path(ds.root) / "meta.txt").string();
  const std::string csv = (fs::path(ds.root) / "meta.csv").string();
  std::string meta_file;
  for (const auto& cand : old_style ? std::vector<std::string>{txt, csv} : std::vector<std::string>{csv, txt}) {
    if (meta_file.empty() && IsRegularFile(cand)) meta_file = cand;
  }
  if (meta_file.empty()) {
    p.Add(old_style ? txt : csv, 0,
          old_style ? "missing metadata file: expected meta.txt (<audio file><TAB><scene label>[<TAB><identifier>]) "
                      "and evaluation_setup/fold{1-4}_{train,test,evaluate}.txt (TUT Acoustic Scenes 2016/2017)"
                    : "missing metadata file: expected meta.csv (tab-separated, header filename<TAB>scene_label"
                      "<TAB>identifier<TAB>source_label) and evaluation_setup/fold{k}_{train,test,evaluate}.{txt,csv} "
                      "(TUT Urban 2018, TAU 2019/2020)");
    p.ThrowIfAny(ds.spec);
  }
  return meta_file;
}

/// One accepted line of the metadata file.
struct MetaRow {
  std::string id, label, group;
  int line;
};

/// Phase 2: the metadata rows (header optional; the recording group from the identifier
/// column, else from the file name), each bad line reported.
std::vector<MetaRow> ReadTutMeta(const Dataset& ds, const std::string& meta_file, Problems& p) {
  const bool underscore_style = fs::path(meta_file).filename().string() == "meta.txt";
  auto recs = ReadDelimited(meta_file, '\t', false, true, p);
  p.ThrowIfAny(ds.spec);
  int cf = 0, cl = 1, cid = 2;
  size_t first = 0;
  if (!recs.empty() && ToLower(recs[0].fields[0]) == "filename") {
    const auto h = HeaderIndex(recs[0]);
    cl = h.count("scene_label") ? h.at("scene_label") : h.count("label") ? h.at("label") : -1;
    cid = h.count("identifier") ? h.at("identifier") : -1;
    if (cl < 0) {
      p.Add(meta_file, recs[0].line, "header lacks the column 'scene_label'");
      p.ThrowIfAny(ds.spec);
    }
    first = 1;
  }
  std::vector<MetaRow> good;
  std::map<std::string, int> seen;
  for (size_t r = first; r < recs.size(); ++r) {
    const Record& rec = recs[r];
    if (static_cast<int>(rec.fields.size()) <= std::max(cf, cl)) {
      p.Add(meta_file, rec.line, "malformed line: expected <audio file><TAB><scene label>, got " +
                                     std::to_string(rec.fields.size()) + " field(s)");
      continue;
    }
    MetaRow row{NormaliseId(rec.fields[cf]), rec.fields[cl], "", rec.line};
    if (row.id.empty() || row.label.empty()) {
      p.Add(meta_file, rec.line, "malformed line: empty file name or scene label");
      continue;
    }
    if (cid >= 0 && cid < static_cast<int>(rec.fields.size())) row.group = rec.fields[cid];
    if (row.group.empty()) row.group = GroupFromName(row.id, underscore_style);
    auto [it, inserted] = seen.emplace(row.id, rec.line);
    if (!inserted) {
      p.Add(meta_file, rec.line,
            "duplicate entry '" + row.id + "' (first listed on line " + std::to_string(it->second) + ")");
      continue;
    }
    good.push_back(row);
  }
  return good;
}

/// Phase 3: classes (sorted labels) and one item per row, indexed for the split files.
MetaIndex AddTutItems(const std::vector<MetaRow>& rows, const std::string& meta_file, Dataset& ds, Origins& org) {
  MetaIndex meta;
  meta.meta_name = fs::path(meta_file).filename().string();
  std::set<std::string> labels;
  for (const auto& r : rows) labels.insert(r.label);
  ds.classes.assign(labels.begin(), labels.end());
  for (const auto& r : rows) {
    DatasetItem it;
    it.id = r.id;
    it.path = JoinPath(ds.root, r.id);
    if (!IsRegularFile(it.path)) {  // meta listing bare names while the audio sits in audio/
      const std::string alt = JoinPath((fs::path(ds.root) / "audio").string(), r.id);
      if (IsRegularFile(alt)) it.path = alt;
    }
    it.label = static_cast<int>(std::lower_bound(ds.classes.begin(), ds.classes.end(), r.label) - ds.classes.begin());
    it.group = r.group;
    meta.by_id[r.id] = static_cast<int>(ds.items.size());
    meta.by_base[fs::path(r.id).filename().string()].push_back(static_cast<int>(ds.items.size()));
    ds.items.push_back(it);
    org.where.push_back(Where(meta_file, r.line));
  }
  return meta;
}

/// (k, extension) of every evaluation_setup/fold{k}_train.{txt,csv}, sorted.
std::vector<std::pair<long, std::string>> FindTutFolds(const std::string& setup) {
  std::vector<std::pair<long, std::string>> folds;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(setup, ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string ext : {"txt", "csv"}) {
      const std::string suffix = "_train." + ext;
      long k = 0;
      if (name.size() > 4 + suffix.size() && name.compare(0, 4, "fold") == 0 &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          name.find_first_not_of("0123456789", 4) == name.size() - suffix.size() &&
          ParseInt(name.substr(4, name.size() - 4 - suffix.size()), &k)) {
        folds.emplace_back(k, ext);
      }
    }
  }
  std::sort(folds.begin(), folds.end());
  return folds;
}

/// Phase 4: evaluation_setup/fold{k}_train.{txt,csv} + fold{k}_evaluate (labels) or fold{k}_test.
void AddTutSplits(const MetaIndex& meta, Dataset& ds, Problems& p) {
  const std::string setup = (fs::path(ds.root) / "evaluation_setup").string();
  if (!IsDirectory(setup)) {
    p.Add(setup, 0, "missing folder evaluation_setup/ (expected fold{k}_train, fold{k}_test and fold{k}_evaluate "
                    "files listing each fold's audio files)");
    p.ThrowIfAny(ds.spec);
  }
  const auto folds = FindTutFolds(setup);
  if (folds.empty()) {
    p.Add(setup, 0, "no fold{k}_train.txt or fold{k}_train.csv found: expected the DCASE evaluation setup files");
  }
  for (const auto& [k, ext] : folds) {
    const std::string base = (fs::path(setup) / ("fold" + std::to_string(k))).string();
    Split s;
    s.name = "fold" + std::to_string(k);
    s.train = ReadSplitFile(base + "_train." + ext, ds, meta, p);
    std::string test_file = base + "_evaluate." + ext;
    if (!IsRegularFile(test_file)) test_file = base + "_test." + ext;
    if (!IsRegularFile(test_file)) {
      p.Add(base + "_evaluate." + ext, 0, "missing: fold " + std::to_string(k) + " has a train file but neither " +
                                              fs::path(base).filename().string() + "_evaluate." + ext + " nor _test." +
                                              ext);
    } else {
      s.test = ReadSplitFile(test_file, ds, meta, p);
    }
    ds.splits.push_back(std::move(s));
  }
}

}  // namespace

void LoadTut(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  ds.root = JoinPath(".", path);
  const std::string meta_file = FindTutMeta(ds, p);
  const std::vector<MetaRow> rows = ReadTutMeta(ds, meta_file, p);
  Origins org;
  const MetaIndex meta = AddTutItems(rows, meta_file, ds, org);
  AddTutSplits(meta, ds, p);
  Finish(ds, org, o, p);
}

}  // namespace ascnet::data_detail
