// LITIS Rouen: relation_wav_examples.txt + fold3026-matrices_{Learn,Test}.txt (or the
// Matlab v5/v7 file fold3026-matrices_v7.mat, variables indiceMa / indiceMt).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ascnet/core/fs.h"
#include "ascnet/data/detail.h"

#include <zlib.h>

namespace ascnet {

const std::vector<std::string>& LitisClasses() {
  static const std::vector<std::string> k = {
      "avion",       "bus",         "busystreet", "cafe",       "car",         "hall",       "hallgare",
      "kidgame",     "market",      "metro-paris", "metro-rouen", "poolhall",   "quietstreet", "restaurant",
      "ruepietonne", "shop",        "train-ter",  "train-tgv",  "tubestation"};
  return k;
}

namespace {
const int kLitisCounts[19] = {23, 192, 143, 120, 243, 88, 269, 145, 276, 139, 249, 155, 90, 133, 122, 203, 164, 147, 125};
constexpr int kLitisTotal = 3026, kLitisSplits = 20, kLitisTrain = 2419, kLitisTest = 607;
}  // namespace

void CheckLitisCounts(const Dataset& ds) {
  std::vector<std::string> problems;
  const auto& names = LitisClasses();
  if (ds.classes != names) {
    problems.push_back("classes differ from the 19 LITIS Rouen classes (avion ... tubestation)");
  } else {
    const auto counts = ds.ClassCounts();
    for (size_t c = 0; c < names.size(); ++c) {
      if (counts[c] != kLitisCounts[c]) {
        problems.push_back("class '" + names[c] + "' has " + std::to_string(counts[c]) +
                           " clips; the published LITIS Rouen set has " + std::to_string(kLitisCounts[c]));
      }
    }
  }
  if (ds.items.size() != static_cast<size_t>(kLitisTotal)) {
    problems.push_back(std::to_string(ds.items.size()) + " clips in all; the published set has " +
                       std::to_string(kLitisTotal));
  }
  if (ds.splits.size() != static_cast<size_t>(kLitisSplits)) {
    problems.push_back(std::to_string(ds.splits.size()) + " splits; the published set has " +
                       std::to_string(kLitisSplits));
  }
  for (const auto& s : ds.splits) {
    if (s.train.size() != static_cast<size_t>(kLitisTrain) || s.test.size() != static_cast<size_t>(kLitisTest)) {
      problems.push_back("split " + s.name + " has " + std::to_string(s.train.size()) + " train / " +
                         std::to_string(s.test.size()) + " test clips; the published splits have " +
                         std::to_string(kLitisTrain) + " / " + std::to_string(kLitisTest));
    }
  }
  if (!problems.empty()) {
    throw DatasetError(ds.spec + " (LITIS Rouen self-test failed: the files do not match the published dataset; "
                                 "check that relation_wav_examples.txt and the split files belong to this audio)",
                       problems);
  }
}

namespace data_detail {
namespace fs = std::filesystem;

namespace {

/// Non-blank lines (1-based numbers) split on whitespace.
std::vector<Record> ReadWhitespaceLines(const std::string& path, Problems& p) {
  std::vector<Record> out;
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const Error& e) {
    p.Add("", 0, e.what());
    return out;
  }
  std::istringstream is(text);
  std::string line;
  int n = 0;
  while (std::getline(is, line)) {
    ++n;
    auto tok = SplitWhitespace(line);
    if (!tok.empty()) out.push_back({n, std::move(tok)});
  }
  return out;
}

/// Python's int(float(s)); false if s is not a finite number.
bool ParseFloatInt(const std::string& s, long* out) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || std::fabs(v) > 1e15) return false;
  *out = static_cast<long>(v);  // truncation toward zero, as int()
  return true;
}

/// Class from the name: the leading non-digit prefix (regex ^([^\d]*)), trailing
/// separators removed, matched exactly (never as a substring: bus vs busystreet).
int LitisClassOf(const std::string& name) {
  const std::string base = fs::path(name).filename().string();
  size_t n = 0;
  while (n < base.size() && !std::isdigit(static_cast<unsigned char>(base[n]))) ++n;
  std::string prefix = base.substr(0, n);
  while (!prefix.empty() && (prefix.back() == '_' || prefix.back() == '-' || prefix.back() == ' ')) prefix.pop_back();
  const auto& k = LitisClasses();
  auto it = std::find(k.begin(), k.end(), ToLower(prefix));
  return it == k.end() ? -1 : static_cast<int>(it - k.begin());
}

// ---- Minimal MAT-file level 5 reader (v6 / v7, little-endian): numeric 2-D matrices.
struct MatMatrix {
  std::string name;
  int rows = 0, cols = 0;
  std::vector<double> data;  // column-major
};

uint32_t U32(const unsigned char* b) { return b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24); }

bool Inflate(const unsigned char* src, size_t n, std::string* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit(&zs) != Z_OK) return false;
  zs.next_in = const_cast<Bytef*>(src);
  zs.avail_in = static_cast<uInt>(n);
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out->append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END || rc == Z_BUF_ERROR;
}

/// Reads the tag at b[pos]; returns false if it does not fit.
bool Tag(const std::string& b, size_t pos, uint32_t* type, uint32_t* bytes, size_t* data, size_t* next) {
  if (pos + 8 > b.size()) return false;
  const auto* u = reinterpret_cast<const unsigned char*>(b.data()) + pos;
  const uint32_t first = U32(u);
  if (first >> 16) {  // small data element
    *type = first & 0xffff;
    *bytes = first >> 16;
    *data = pos + 4;
    *next = pos + 8;
  } else {
    *type = first;
    *bytes = U32(u + 4);
    *data = pos + 8;
    *next = pos + 8 + ((static_cast<size_t>(*bytes) + 7) / 8) * 8;
  }
  return *data + *bytes <= b.size();
}

bool NumericValues(const std::string& b, uint32_t type, size_t data, uint32_t bytes, std::vector<double>* out) {
  const char* p = b.data() + data;
  auto read = [&](auto tag) {
    using T = decltype(tag);
    const size_t n = bytes / sizeof(T);
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + i * sizeof(T), sizeof(T));
      out->push_back(static_cast<double>(v));
    }
  };
  switch (type) {
    case 1: read(int8_t()); break;
    case 2: read(uint8_t()); break;
    case 3: read(int16_t()); break;
    case 4: read(uint16_t()); break;
    case 5: read(int32_t()); break;
    case 6: read(uint32_t()); break;
    case 7: read(float()); break;
    case 9: read(double()); break;
    case 12: read(int64_t()); break;
    case 13: read(uint64_t()); break;
    default: return false;
  }
  return true;
}

/// Parses one miMATRIX element's content b[data, data+bytes).
bool ParseMatrix(const std::string& b, size_t data, uint32_t bytes, MatMatrix* m) {
  const std::string sub = b.substr(data, bytes);
  size_t pos = 0;
  uint32_t t, n;
  size_t d, next;
  // Array flags.
  if (!Tag(sub, pos, &t, &n, &d, &next) || t != 6 || n < 8) return false;
  const int cls = sub[d] & 0xff;
  if (cls < 6 || cls > 15) return false;  // not a numeric array
  pos = next;
  // Dimensions.
  if (!Tag(sub, pos, &t, &n, &d, &next) || t != 5) return false;
  if (n != 8) return false;  // 2-D only
  m->rows = static_cast<int>(U32(reinterpret_cast<const unsigned char*>(sub.data()) + d));
  m->cols = static_cast<int>(U32(reinterpret_cast<const unsigned char*>(sub.data()) + d + 4));
  pos = next;
  // Name.
  if (!Tag(sub, pos, &t, &n, &d, &next) || t != 1) return false;
  m->name = sub.substr(d, n);
  pos = next;
  // Real part.
  if (!Tag(sub, pos, &t, &n, &d, &next)) return false;
  if (!NumericValues(sub, t, d, n, &m->data)) return false;
  return m->data.size() == static_cast<size_t>(m->rows) * m->cols;
}

/// All numeric 2-D matrices of a MAT v5/v6/v7 file; error text on failure.
std::vector<MatMatrix> ReadMat(const std::string& path, std::string* error) {
  std::vector<MatMatrix> out;
  std::string b;
  try {
    b = ReadFile(path);
  } catch (const Error& e) {
    *error = e.what();
    return out;
  }
  if (b.size() < 128 || b.compare(0, 6, "MATLAB") != 0) {
    *error = "not a MAT-file level 5 (v6/v7); HDF5-based v7.3 files are not read";
    return out;
  }
  if (b[126] != 'I' || b[127] != 'M') {
    *error = "big-endian MAT-file, not supported";
    return out;
  }
  size_t pos = 128;
  while (pos + 8 <= b.size()) {
    uint32_t t, n;
    size_t d, next;
    if (!Tag(b, pos, &t, &n, &d, &next)) {
      *error = "truncated data element at byte " + std::to_string(pos);
      return out;
    }
    std::string inflated;
    const std::string* src = &b;
    size_t md = d;
    uint32_t mn = n, mt = t;
    if (t == 15) {  // miCOMPRESSED
      if (!Inflate(reinterpret_cast<const unsigned char*>(b.data()) + d, n, &inflated)) {
        *error = "corrupt compressed data element at byte " + std::to_string(pos);
        return out;
      }
      size_t nn;
      if (!Tag(inflated, 0, &mt, &mn, &md, &nn)) {
        *error = "truncated compressed element at byte " + std::to_string(pos);
        return out;
      }
      src = &inflated;
    }
    if (mt == 14) {
      MatMatrix m;
      if (ParseMatrix(*src, md, mn, &m)) out.push_back(std::move(m));
    }
    pos = d + n;  // top-level elements are not padded (miMATRIX sizes already are multiples of 8)
    (void)next;
  }
  return out;
}

/// Split rows from the .mat form: returns (learn, test) as Records, one per split.
bool ReadLitisMat(const std::string& path, std::vector<Record>* learn, std::vector<Record>* test, Problems& p) {
  std::string error;
  const auto mats = ReadMat(path, &error);
  if (!error.empty()) {
    p.Add(path, 0, error + "; export the text form instead (see docs/datasets.md)");
    return false;
  }
  const MatMatrix* ma = nullptr;
  const MatMatrix* mt = nullptr;
  for (const auto& m : mats) {
    if (m.name == "indiceMa") ma = &m;
    if (m.name == "indiceMt") mt = &m;
  }
  if (!ma || !mt) {
    p.Add(path, 0, "expected the numeric matrices indiceMa (learn) and indiceMt (test), 20 x N");
    return false;
  }
  auto rows = [](const MatMatrix& m, std::vector<Record>* out) {
    for (int r = 0; r < m.rows; ++r) {
      Record rec;
      rec.line = r + 1;  // "line" = row of the matrix
      for (int c = 0; c < m.cols; ++c) {
        std::ostringstream os;
        os.precision(17);
        os << m.data[static_cast<size_t>(c) * m.rows + r];
        rec.fields.push_back(os.str());
      }
      out->push_back(std::move(rec));
    }
  };
  rows(*ma, learn);
  rows(*mt, test);
  return true;
}

/// The files of a LITIS Rouen folder.
struct LitisFiles {
  std::string relation, learn_txt, test_txt, mat, audio_dir;
  bool have_txt = false;  ///< the two split text files (else the .mat)
};

/// Phase 1: the metadata files must exist (ConfigError-style problems thrown at once).
LitisFiles FindLitisFiles(const Dataset& ds, Problems& p) {
  const fs::path root(ds.root);
  LitisFiles f;
  f.relation = (root / "relation_wav_examples.txt").string();
  f.learn_txt = (root / "fold3026-matrices_Learn.txt").string();
  f.test_txt = (root / "fold3026-matrices_Test.txt").string();
  f.mat = (root / "fold3026-matrices_v7.mat").string();
  if (!IsRegularFile(f.relation)) {
    p.Add(f.relation, 0, "missing metadata file: expected relation_wav_examples.txt (lines '<file_name> <file_id>'), "
                         "fold3026-matrices_Learn.txt / _Test.txt (or fold3026-matrices_v7.mat) and the audio in "
                         "data_rouen/ (LITIS Rouen layout)");
  }
  f.have_txt = IsRegularFile(f.learn_txt) && IsRegularFile(f.test_txt);
  if (!f.have_txt && !IsRegularFile(f.mat)) {
    p.Add(IsRegularFile(f.learn_txt) ? f.test_txt : f.learn_txt, 0,
          "missing split file: expected fold3026-matrices_Learn.txt and fold3026-matrices_Test.txt (line k = split "
          "k, whitespace-separated file ids) or fold3026-matrices_v7.mat");
  }
  p.ThrowIfAny(ds.spec);
  f.audio_dir = IsDirectory((root / "data_rouen").string()) ? (root / "data_rouen").string() : ds.root;
  return f;
}

/// One line of relation_wav_examples.txt.
struct RelationEntry {
  std::string name;
  long id;
  int line, label;
};

/// Phase 2: the relation file (<file_name> <file_id>), sorted by file name (the order the
/// published class counts assume); every file id that was read, valid or not, in *seen_id.
std::vector<RelationEntry> ReadRelation(const std::string& relation, Problems& p, std::map<long, int>* seen_id) {
  std::vector<RelationEntry> entries;
  std::map<std::string, int> seen_name;
  for (const auto& rec : ReadWhitespaceLines(relation, p)) {
    if (rec.fields.size() != 2) {
      p.Add(relation, rec.line, "malformed line: expected '<file_name> <file_id>', got " +
                                    std::to_string(rec.fields.size()) + " fields");
      continue;
    }
    RelationEntry e{rec.fields[0], 0, rec.line, -1};
    if (!ParseFloatInt(rec.fields[1], &e.id)) {
      p.Add(relation, rec.line, "file id '" + rec.fields[1] + "' is not a number");
      continue;
    }
    e.label = LitisClassOf(e.name);
    if (e.label < 0) {
      p.Add(relation, rec.line, "cannot tell the class of '" + e.name +
                                    "': its leading non-digit prefix is not one of the 19 LITIS classes (" +
                                    Join(LitisClasses(), ", ") + ")");
      continue;
    }
    auto [ni, n_new] = seen_name.emplace(e.name, rec.line);
    if (!n_new) {
      p.Add(relation, rec.line, "duplicate entry '" + e.name + "' (first listed on line " + std::to_string(ni->second) + ")");
      continue;
    }
    auto [ii, i_new] = seen_id->emplace(e.id, rec.line);
    if (!i_new) {
      p.Add(relation, rec.line, "duplicate file id " + std::to_string(e.id) + " (first used on line " +
                                    std::to_string(ii->second) + ")");
      continue;
    }
    entries.push_back(e);
  }
  std::sort(entries.begin(), entries.end(), [](const RelationEntry& a, const RelationEntry& b) { return a.name < b.name; });
  return entries;
}

/// Phase 3: the classes that occur (in canonical LITIS order) and one item per entry; returns
/// the item index of each file id.
std::map<long, int> AddLitisItems(const std::vector<RelationEntry>& entries, const LitisFiles& f, Dataset& ds,
                                  Origins& org) {
  std::vector<int> remap(LitisClasses().size(), -1);
  for (const auto& e : entries) remap[e.label] = 0;
  for (size_t c = 0; c < remap.size(); ++c) {
    if (remap[c] < 0) continue;
    remap[c] = static_cast<int>(ds.classes.size());
    ds.classes.push_back(LitisClasses()[c]);
  }
  std::map<long, int> item_of_id;
  for (const auto& e : entries) {
    DatasetItem it;
    it.id = e.name;
    it.path = JoinPath(f.audio_dir, e.name);
    if (!IsRegularFile(it.path) && fs::path(e.name).extension().empty() && IsRegularFile(it.path + ".wav")) {
      it.path += ".wav";
    }
    it.label = remap[e.label];
    item_of_id[e.id] = static_cast<int>(ds.items.size());
    ds.items.push_back(it);
    org.where.push_back(Where(f.relation, e.line));
  }
  return item_of_id;
}

/// The item indices of one split line (file ids as int(float(x))), each problem reported.
std::vector<int> SplitLineItems(const Record& rec, const std::string& file, const std::map<long, int>& item_of_id,
                                const std::map<long, int>& seen_id, Problems& p) {
  std::vector<int> out;
  std::map<long, size_t> seen;
  for (size_t j = 0; j < rec.fields.size(); ++j) {
    long id = 0;
    if (!ParseFloatInt(rec.fields[j], &id)) {
      p.Add(file, rec.line, "entry " + std::to_string(j + 1) + " '" + rec.fields[j] + "' is not a number");
      continue;
    }
    auto it = item_of_id.find(id);
    if (it == item_of_id.end()) {
      if (!seen_id.count(id)) {
        p.Add(file, rec.line, "entry " + std::to_string(j + 1) + ": file id " + std::to_string(id) +
                                  " is not in relation_wav_examples.txt");
      }
      continue;
    }
    auto [si, fresh] = seen.emplace(id, j);
    if (!fresh) {
      p.Add(file, rec.line, "entry " + std::to_string(j + 1) + ": file id " + std::to_string(id) +
                                " repeats entry " + std::to_string(si->second + 1));
      continue;
    }
    out.push_back(it->second);
  }
  return out;
}

/// Phase 4: the splits, line k of Learn / Test = split k (from the text files or the .mat).
void AddLitisSplits(const LitisFiles& f, const std::map<long, int>& item_of_id, const std::map<long, int>& seen_id,
                    Dataset& ds, Problems& p) {
  std::vector<Record> learn, test;
  std::string learn_name = f.learn_txt, test_name = f.test_txt;
  if (f.have_txt) {
    learn = ReadWhitespaceLines(f.learn_txt, p);
    test = ReadWhitespaceLines(f.test_txt, p);
  } else {
    learn_name = test_name = f.mat + " (" + "indiceMa/indiceMt row)";
    if (ReadLitisMat(f.mat, &learn, &test, p)) {
      learn_name = f.mat + " indiceMa row";
      test_name = f.mat + " indiceMt row";
    }
  }
  if (f.have_txt && learn.size() != test.size()) {
    p.Add(f.test_txt, 0, "has " + std::to_string(test.size()) + " non-blank lines but " +
                             fs::path(f.learn_txt).filename().string() + " has " + std::to_string(learn.size()) +
                             " (line k of each is split k)");
  }
  for (size_t k = 0; k < std::max(learn.size(), test.size()); ++k) {  // every line is checked
    Split s;
    s.name = "split" + std::to_string(k + 1);
    if (k < learn.size()) s.train = SplitLineItems(learn[k], learn_name, item_of_id, seen_id, p);
    if (k < test.size()) s.test = SplitLineItems(test[k], test_name, item_of_id, seen_id, p);
    if (k < learn.size() && k < test.size()) ds.splits.push_back(std::move(s));
  }
  if (learn.empty() && p.empty()) p.Add(learn_name, 0, "no splits found (empty file)");
}

}  // namespace

void LoadLitis(Dataset& ds, const std::string& path, const DatasetOptions& o) {
  Problems p;
  ds.root = JoinPath(".", path);
  const LitisFiles files = FindLitisFiles(ds, p);
  std::map<long, int> seen_id;
  const std::vector<RelationEntry> entries = ReadRelation(files.relation, p, &seen_id);
  Origins org;
  const std::map<long, int> item_of_id = AddLitisItems(entries, files, ds, org);
  AddLitisSplits(files, item_of_id, seen_id, ds, p);
  Finish(ds, org, o, p);
  if (o.litis_self_test && ds.items.size() == static_cast<size_t>(kLitisTotal)) CheckLitisCounts(ds);
}

}  // namespace data_detail
}  // namespace ascnet
