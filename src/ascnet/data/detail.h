// Internals shared by the dataset loaders (not part of the public API).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ascnet/core/text.h"  // Trim, Join
#include "ascnet/data/dataset.h"

namespace ascnet::data_detail {

/// Collects problems; ThrowIfAny() raises one DatasetError listing them all, ordered by
/// file then line (file-level problems first).
class Problems {
 public:
  /// "file:line: message" (line <= 0: "file: message"; empty file: "message").
  void Add(const std::string& file, int line, const std::string& message);
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  /// Throws DatasetError(context, problems) if there is any.
  void ThrowIfAny(const std::string& context) const;

 private:
  struct Entry {
    std::string file;
    int line;
    std::string text;
  };
  std::vector<Entry> list_;
};

/// One record of a delimited text file; `line` is the 1-based line it starts on.
struct Record {
  int line = 0;
  std::vector<std::string> fields;
};

/// Reads a delimited text file. quoting=true: RFC 4180 (fields in double quotes may hold
/// the delimiter, newlines and "" for a quote). Strips a UTF-8 BOM and CRs, trims spaces
/// around unquoted fields, skips blank lines. whitespace_fallback: a line without the
/// delimiter is split on runs of whitespace instead. Unreadable file or bad quoting are
/// added to `problems`.
std::vector<Record> ReadDelimited(const std::string& path, char delim, bool quoting, bool whitespace_fallback,
                                  Problems& problems);

/// Header: lower-cased column name -> index.
std::map<std::string, int> HeaderIndex(const Record& header);

std::string ToLower(std::string s);

bool ParseInt(const std::string& s, long* out);
/// Splits on runs of whitespace.
std::vector<std::string> SplitWhitespace(const std::string& s);
/// "a/./b" -> "a/b", "\\" -> "/", drops a leading "./".
std::string NormaliseId(const std::string& id);
/// Absolute, lexically normal path of root/rel (rel may be absolute).
std::string JoinPath(const std::string& root, const std::string& rel);
bool IsRegularFile(const std::string& path);
bool IsDirectory(const std::string& path);
/// (file, line) where an item was listed (for messages; line 0 = the file itself).
using Place = std::pair<std::string, int>;
inline Place Where(const std::string& file, int line) { return {file, line}; }

/// Per-item provenance kept while loading, for messages.
struct Origins {
  std::vector<Place> where;  // parallel to Dataset::items
};

/// Final checks shared by every kind, added to `problems`: at least one item, no class
/// without items, every split has train items, train/test disjoint, every class present
/// in every split's train part, audio files exist (check_files). Then throws if any.
void Finish(Dataset& ds, const Origins& origins, const DatasetOptions& options, Problems& problems);

// One loader per kind; each fills ds.classes/items/splits/root and calls Finish.
void LoadCsv(Dataset& ds, const std::string& path, const DatasetOptions& o);
void LoadFolder(Dataset& ds, const std::string& path, const DatasetOptions& o);
void LoadEsc50(Dataset& ds, const std::string& path, const DatasetOptions& o);
void LoadLitis(Dataset& ds, const std::string& path, const DatasetOptions& o);
void LoadTut(Dataset& ds, const std::string& path, const DatasetOptions& o);
void LoadUrbanSound8k(Dataset& ds, const std::string& path, const DatasetOptions& o);

/// Audio files under `dir` (recursive, hidden entries skipped) whose extension is in
/// `extensions` (lower-case, no dots); sorted.
std::vector<std::string> ListAudioFiles(const std::string& dir, const std::vector<std::string>& extensions);
std::vector<std::string> ParseExtensions(const std::string& csv);

}  // namespace ascnet::data_detail
