#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ascnet/data/detail.h"

namespace ascnet {

namespace {
std::string BuildMessage(const std::string& context, const std::vector<std::string>& problems) {
  std::ostringstream os;
  os << context << ": " << problems.size() << (problems.size() == 1 ? " problem" : " problems")
     << " in the dataset:";
  const size_t shown = std::min(problems.size(), DatasetError::kMaxListed);
  for (size_t i = 0; i < shown; ++i) os << "\n  " << problems[i];
  if (problems.size() > shown) os << "\n  ... and " << problems.size() - shown << " more";
  return os.str();
}
}  // namespace

DatasetError::DatasetError(const std::string& context, std::vector<std::string> problems)
    : FormatError(BuildMessage(context, problems)), problems_(std::move(problems)) {}

namespace data_detail {
namespace fs = std::filesystem;

void Problems::Add(const std::string& file, int line, const std::string& message) {
  std::string text;
  if (file.empty()) {
    text = message;
  } else if (line <= 0) {
    text = file + ": " + message;
  } else {
    text = file + ":" + std::to_string(line) + ": " + message;
  }
  list_.push_back({file, line, std::move(text)});
}

void Problems::ThrowIfAny(const std::string& context) const {
  if (list_.empty()) return;
  std::vector<Entry> sorted = list_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
  std::vector<std::string> texts;
  for (auto& e : sorted) texts.push_back(std::move(e.text));
  throw DatasetError(context, std::move(texts));
}

std::string ToLower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}


bool ParseInt(const std::string& s, long* out) {
  const std::string t = Trim(s);
  if (t.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(t.c_str(), &end, 10);
  if (errno != 0 || end != t.c_str() + t.size()) return false;
  *out = v;
  return true;
}

std::vector<std::string> SplitWhitespace(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  std::string tok;
  while (is >> tok) out.push_back(tok);
  return out;
}

std::string NormaliseId(const std::string& id) {
  std::string s = id;
  std::replace(s.begin(), s.end(), '\\', '/');
  if (s.empty()) return s;
  std::string n = fs::path(s).lexically_normal().generic_string();
  return n == "." ? std::string() : n;
}

std::string JoinPath(const std::string& root, const std::string& rel) {
  fs::path p = fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(root) / rel;
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  if (ec) a = p;
  return a.lexically_normal().string();
}

bool IsRegularFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

std::vector<Record> ReadDelimited(const std::string& path, char delim, bool quoting, bool whitespace_fallback,
                                  Problems& problems) {
  std::vector<Record> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.Add(path, 0, std::string("cannot open for reading (") + std::strerror(errno) + ")");
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);

  int line = 1;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    Record rec;
    rec.line = line;
    // Raw line (for the whitespace fallback and blank detection).
    std::vector<std::string> fields;
    std::string field;
    bool field_quoted = false, any_delim = false, bad = false;
    auto end_field = [&]() {
      fields.push_back(field_quoted ? field : Trim(field));
      field.clear();
      field_quoted = false;
    };
    std::string raw;
    while (i < n) {
      char c = text[i];
      if (c == '\r') {
        ++i;
        continue;
      }
      if (c == '\n') {
        ++i;
        ++line;
        break;
      }
      if (quoting && c == '"' && Trim(field).empty() && !field_quoted) {
        // Quoted field.
        field.clear();
        field_quoted = true;
        const int start_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          char q = text[i];
          if (q == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (q == '\n') ++line;
          if (q != '\r') field += q;
          raw += q;
          ++i;
        }
        if (!closed) {
          problems.Add(path, start_line, "malformed CSV: quoted field is never closed (missing '\"')");
          bad = true;
          i = n;
          break;
        }
        // Only spaces may follow a closing quote before the delimiter / end of line.
        while (i < n && (text[i] == ' ' || text[i] == '\r')) ++i;
        if (i < n && text[i] != delim && text[i] != '\n') {
          problems.Add(path, line, "malformed CSV: unexpected character after a closing quote "
                                   "(a quote inside a quoted field must be doubled: \"\")");
          bad = true;
          while (i < n && text[i] != '\n') ++i;
        }
        continue;
      }
      if (c == delim) {
        any_delim = true;
        end_field();
        raw += c;
        ++i;
        continue;
      }
      field += c;
      raw += c;
      ++i;
    }
    end_field();
    if (bad) continue;
    if (fields.size() == 1 && fields[0].empty() && !field_quoted) continue;  // blank line
    if (!any_delim && whitespace_fallback) {
      rec.fields = SplitWhitespace(raw);
      if (rec.fields.empty()) continue;
    } else {
      rec.fields = std::move(fields);
    }
    out.push_back(std::move(rec));
  }
  return out;
}

std::map<std::string, int> HeaderIndex(const Record& header) {
  std::map<std::string, int> idx;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string key = ToLower(Trim(header.fields[i]));
    if (!key.empty() && !idx.count(key)) idx[key] = static_cast<int>(i);
  }
  return idx;
}

std::vector<std::string> ParseExtensions(const std::string& csv) {
  std::vector<std::string> out;
  std::string tok;
  std::istringstream is(csv);
  while (std::getline(is, tok, ',')) {
    tok = ToLower(Trim(tok));
    if (!tok.empty() && tok[0] == '.') tok.erase(0, 1);
    if (!tok.empty()) out.push_back(tok);
  }
  return out;
}

std::vector<std::string> ListAudioFiles(const std::string& dir, const std::vector<std::string>& extensions) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    std::string ext = ToLower(p.extension().string());
    if (!ext.empty()) ext.erase(0, 1);
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) out.push_back(p.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Finish(Dataset& ds, const Origins& origins, const DatasetOptions& options, Problems& problems) {
  const int k = static_cast<int>(ds.classes.size());
  if (ds.items.empty()) problems.Add(ds.root, 0, "no audio items found");
  if (options.check_files) {
    for (size_t i = 0; i < ds.items.size(); ++i) {
      if (!IsRegularFile(ds.items[i].path)) {
        const Place where = i < origins.where.size() ? origins.where[i] : Place();
        problems.Add(where.first, where.second, "audio file not found: " + ds.items[i].path);
      }
    }
  }
  if (!ds.items.empty()) {
    const std::vector<int> counts = ds.ClassCounts();
    for (int c = 0; c < k; ++c) {
      if (counts[c] == 0) problems.Add(ds.root, 0, "class '" + ds.classes[c] + "' has no items (empty class)");
    }
    for (const Split& s : ds.splits) {
      if (s.train.empty()) {
        problems.Add(ds.root, 0, "split " + s.name + " has no training items");
        continue;
      }
      std::vector<char> in_train(ds.items.size(), 0);
      for (int i : s.train) in_train[i] = 1;
      for (int i : s.test) {
        if (in_train[i]) {
          const Place where = i < static_cast<int>(origins.where.size()) ? origins.where[i] : Place();
          problems.Add(where.first, where.second, "split " + s.name + ": " + ds.items[i].id + " is in both the train and the test part");
        }
      }
      const std::vector<int> tc = ds.ClassCounts(s.train);
      for (int c = 0; c < k; ++c) {
        if (counts[c] > 0 && tc[c] == 0) {
          problems.Add(ds.root, 0, "split " + s.name + ": class '" + ds.classes[c] +
                                       "' has no training items (cannot be learned)");
        }
      }
    }
  }
  problems.ThrowIfAny(ds.spec);
}

}  // namespace data_detail
}  // namespace ascnet
