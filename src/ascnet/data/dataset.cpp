#include "ascnet/data/dataset.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "ascnet/data/detail.h"

namespace ascnet {
using namespace data_detail;

std::vector<int> Dataset::ClassCounts(const std::vector<int>& indices) const {
  std::vector<int> counts(classes.size(), 0);
  for (int i : indices) {
    if (i < 0 || i >= static_cast<int>(items.size())) continue;
    const int c = items[i].label;
    if (c >= 0 && c < static_cast<int>(counts.size())) ++counts[c];
  }
  return counts;
}

std::vector<int> Dataset::ClassCounts() const {
  std::vector<int> counts(classes.size(), 0);
  for (const auto& it : items) {
    if (it.label >= 0 && it.label < static_cast<int>(counts.size())) ++counts[it.label];
  }
  return counts;
}

std::string Dataset::Summary() const {
  std::ostringstream os;
  os << spec << " (" << kind << ", root " << root << "): " << items.size() << " items, " << classes.size()
     << " classes, " << splits.size() << (splits.size() == 1 ? " split" : " splits") << "\n";
  size_t w = 5;
  for (const auto& c : classes) w = std::max(w, c.size());
  const std::vector<int> total = ClassCounts();
  std::vector<std::vector<int>> tr, te;
  for (const auto& s : splits) {
    tr.push_back(ClassCounts(s.train));
    te.push_back(ClassCounts(s.test));
  }
  // Column width per split: "train/test" numbers, at least the split name.
  std::vector<size_t> sw;
  for (size_t s = 0; s < splits.size(); ++s) {
    size_t m = std::max<size_t>(splits[s].name.size(), 10);  // "train/test"
    m = std::max(m, std::to_string(splits[s].train.size()).size() + 1 + std::to_string(splits[s].test.size()).size());
    sw.push_back(m);
  }
  os << "  " << std::left << std::setw(static_cast<int>(w)) << "class" << std::right << std::setw(7) << "total";
  for (size_t s = 0; s < splits.size(); ++s) os << "  " << std::setw(static_cast<int>(sw[s])) << splits[s].name;
  os << "\n";
  if (!splits.empty()) {
    os << "  " << std::left << std::setw(static_cast<int>(w)) << "" << std::right << std::setw(7) << "";
    for (size_t s = 0; s < splits.size(); ++s) os << "  " << std::setw(static_cast<int>(sw[s])) << "train/test";
    os << "\n";
  }
  auto row = [&](const std::string& name, int t, const std::vector<std::string>& cells) {
    os << "  " << std::left << std::setw(static_cast<int>(w)) << name << std::right << std::setw(7) << t;
    for (size_t s = 0; s < cells.size(); ++s) os << "  " << std::setw(static_cast<int>(sw[s])) << cells[s];
    os << "\n";
  };
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> cells;
    for (size_t s = 0; s < splits.size(); ++s) cells.push_back(std::to_string(tr[s][c]) + "/" + std::to_string(te[s][c]));
    row(classes[c], total[c], cells);
  }
  std::vector<std::string> cells;
  for (const auto& s : splits) cells.push_back(std::to_string(s.train.size()) + "/" + std::to_string(s.test.size()));
  row("(all)", static_cast<int>(items.size()), cells);
  return os.str();
}

std::vector<std::string> FindAudioFiles(const std::string& dir, const std::string& extensions) {
  return ListAudioFiles(dir, ParseExtensions(extensions));
}

void DatasetOptions::Validate() const {
  const auto exts = ParseExtensions(extensions);
  if (exts.empty()) {
    throw ConfigError("DatasetOptions.extensions: expected a comma-separated list of audio file extensions "
                      "such as \"wav,flac\", got \"" + extensions + "\"");
  }
  for (const auto& e : exts) {
    if (e.find_first_of("/\\*? ") != std::string::npos) {
      throw ConfigError("DatasetOptions.extensions: '" + e + "' is not a file extension (expected e.g. wav)");
    }
  }
}

std::string DatasetOptions::ToString() const {
  std::ostringstream os;
  os << "DatasetOptions{esc10=" << (esc10 ? "true" : "false") << ", check_files=" << (check_files ? "true" : "false")
     << ", litis_self_test=" << (litis_self_test ? "true" : "false") << ", extensions=\"" << extensions << "\"}";
  return os.str();
}

std::vector<std::string> DatasetKinds() {
  return {"csv", "folder", "esc50", "litis", "dcase2016", "dcase2017", "tau2019", "urbansound8k"};
}

Dataset LoadDataset(const std::string& spec, const DatasetOptions& options) {
  options.Validate();
  const auto kinds = DatasetKinds();
  const std::string list = Join(kinds, ", ");
  const size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    throw ConfigError("dataset spec '" + spec + "': expected KIND:PATH with KIND one of " + list);
  }
  const std::string kind = ToLower(spec.substr(0, colon));
  const std::string path = spec.substr(colon + 1);
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    throw ConfigError("dataset spec '" + spec + "': unknown kind '" + kind + "', expected one of " + list);
  }
  if (path.empty()) throw ConfigError("dataset spec '" + spec + "': empty PATH after '" + kind + ":'");
  Dataset ds;
  ds.spec = spec;
  ds.kind = kind;
  if (kind == "csv") {
    LoadCsv(ds, path, options);
  } else if (kind == "folder") {
    LoadFolder(ds, path, options);
  } else if (kind == "esc50") {
    LoadEsc50(ds, path, options);
  } else if (kind == "litis") {
    LoadLitis(ds, path, options);
  } else if (kind == "urbansound8k") {
    LoadUrbanSound8k(ds, path, options);
  } else {
    LoadTut(ds, path, options);
  }
  return ds;
}

std::string SplitNames(const Dataset& dataset) {
  std::string names;
  for (const auto& s : dataset.splits) names += (names.empty() ? "" : ", ") + s.name;
  return names;
}

std::vector<int> SelectSplits(const Dataset& dataset, const std::string& selection) {
  const int n = static_cast<int>(dataset.splits.size());
  std::vector<int> out;
  auto add = [&](int i) {
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  };
  auto fail = [&](const std::string& token, const std::string& why) {
    throw ConfigError("--splits: '" + token + "' " + why + "; expected all, 1-based numbers 1.." +
                      std::to_string(n) + ", ranges like 1-3, or names (" + SplitNames(dataset) + ")");
  };
  const std::string sel = Trim(selection);
  if (sel.empty() || ToLower(sel) == "all") {
    for (int i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  std::istringstream is(sel);
  std::string tok;
  while (std::getline(is, tok, ',')) {
    tok = Trim(tok);
    if (tok.empty()) fail(tok, "is empty");
    // By name first (names like "fold1" never parse as numbers).
    int by_name = -1;
    for (int i = 0; i < n; ++i) {
      if (ToLower(dataset.splits[i].name) == ToLower(tok)) by_name = i;
    }
    if (by_name >= 0) {
      add(by_name);
      continue;
    }
    long v = 0;
    if (ParseInt(tok, &v)) {
      if (v < 1 || v > n) fail(tok, "is out of range");
      add(static_cast<int>(v - 1));
      continue;
    }
    const size_t dash = tok.find('-');
    long a = 0, b = 0;
    if (dash != std::string::npos && ParseInt(tok.substr(0, dash), &a) && ParseInt(tok.substr(dash + 1), &b)) {
      if (a < 1 || b > n || a > b) fail(tok, "is not a valid range");
      for (long i = a; i <= b; ++i) add(static_cast<int>(i - 1));
      continue;
    }
    fail(tok, "is not a split of this dataset");
  }
  return out;
}

}  // namespace ascnet
