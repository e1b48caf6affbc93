// Dataset loaders: read the on-disk layouts of the standard acoustic-scene datasets
// (and two generic ones) into one in-memory description: classes, items, splits.
//
// Plain C++ (no LibTorch, no audio decoding). A dataset is named by a spec
// "KIND:PATH", e.g. "esc50:/data/ESC-50-master" or "csv:/data/ambience/meta.csv".
// Every problem found while loading (missing audio file, unknown label, duplicate
// entry, malformed line, ...) is collected and reported at once in a single
// DatasetError whose message lists each offending file:line, so a user can fix the
// whole dataset in one pass before any training starts. See docs/datasets.md.
#pragma once

#include <string>
#include <vector>

#include "ascnet/core/error.h"

namespace ascnet {

/// Everything wrong with a dataset, found in one pass. what() is
/// "<spec>: N problem(s) in the dataset:\n  file:line: problem\n..." (at most
/// kMaxListed lines, then "... and N more"); problems() holds every one of them.
class DatasetError : public FormatError {
 public:
  static constexpr size_t kMaxListed = 50;
  DatasetError(const std::string& context, std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

/// One audio clip.
struct DatasetItem {
  std::string path;   ///< absolute, lexically normalised path of the audio file
  std::string id;     ///< name as the metadata gives it (or relative to the root for `folder`)
  int label = -1;     ///< index into Dataset::classes
  std::string group;  ///< recording / source id (clips of one recording share it); may be empty
};

/// One train/test partition; indices into Dataset::items.
struct Split {
  std::string name;  ///< "fold1", "split7", "all", ...
  std::vector<int> train, test;
};

struct Dataset {
  std::string spec;  ///< as given to LoadDataset
  std::string kind;  ///< "csv", "folder", "esc50", "litis", "dcase2016", ...
  std::string root;  ///< absolute dataset folder (for csv: the CSV's folder)
  std::vector<std::string> classes;
  std::vector<DatasetItem> items;
  std::vector<Split> splits;

  /// Number of items of each class in `indices` (all items when called without).
  std::vector<int> ClassCounts(const std::vector<int>& indices) const;
  std::vector<int> ClassCounts() const;

  /// Human-readable overview: spec, totals, then a table of per-class counts
  /// (total, and train/test of every split).
  std::string Summary() const;
};

struct DatasetOptions {
  bool esc10 = false;           ///< esc50: keep only the ESC-10 subset (esc10 == True; 10 classes)
  bool check_files = true;      ///< every listed audio file must exist (existence only, not decoded)
  bool litis_self_test = true;  ///< litis: when all 3026 clips are listed, check the published
                                ///< per-class counts and 2419/607 split sizes (CheckLitisCounts)
  /// folder (and old ESC-50 class-folder layout): audio file extensions, comma-separated,
  /// case-insensitive, without dots.
  std::string extensions = "wav,wave,flac,ogg,oga,opus,mp3,aiff,aif,aifc,au,snd,caf,w64,rf64,voc";

  /// ConfigError naming the field if a value is unusable.
  void Validate() const;
  std::string ToString() const;
};

/// Audio files under `dir` (recursively, hidden entries skipped), sorted, whose extension is
/// in the comma-separated `extensions` list (default: DatasetOptions::extensions).
std::vector<std::string> FindAudioFiles(const std::string& dir, const std::string& extensions = DatasetOptions{}.extensions);

/// The dataset kinds LoadDataset knows, in documentation order.
std::vector<std::string> DatasetKinds();

/// Loads "KIND:PATH". KIND is one of DatasetKinds():
///   csv:FILE.csv       header with filename,label[,fold|split]; paths relative to the CSV's folder
///   folder:DIR         one sub-folder per class; a single split "all" (everything in train)
///   esc50:DIR          meta/esc50.csv + audio/ (or the old "101 - Dog/" class-folder layout); 5 folds
///   litis:DIR          LITIS Rouen: relation_wav_examples.txt, fold3026-matrices_{Learn,Test}.txt
///                      (or fold3026-matrices_v7.mat), audio in data_rouen/; 20 splits
///   dcase2016:DIR, dcase2017:DIR   TUT Acoustic Scenes: meta.txt + evaluation_setup/fold{k}_*.txt
///   tau2019:DIR        TUT 2018 / TAU 2019 / TAU 2020+: meta.csv + evaluation_setup/fold{k}_*.{txt,csv}
///   urbansound8k:DIR   UrbanSound8K (the folder or its parent); 10 folds
/// Throws ConfigError for a bad spec or options, DatasetError (a FormatError) listing every
/// problem in the dataset's files.
Dataset LoadDataset(const std::string& spec, const DatasetOptions& options = {});

/// Chooses splits from a selection such as "all", "" (= all), "1,3", "fold2", "2-4"
/// (1-based positions in dataset.splits, split names, or ranges of positions).
/// Returns indices into dataset.splits in the order given, without repeats.
/// ConfigError naming the bad token and the valid names.
std::vector<int> SelectSplits(const Dataset& dataset, const std::string& selection);

/// The dataset's split names, comma-separated ("fold1, fold2, ..."), for error messages.
std::string SplitNames(const Dataset& dataset);

/// LITIS Rouen self-test: the 19 published class counts (avion 23 ... tubestation 125,
/// total 3026), 20 splits, each with 2419 train and 607 test items. Throws DatasetError
/// listing every mismatch. LoadDataset("litis:...") calls it when all 3026 clips are listed.
void CheckLitisCounts(const Dataset& dataset);

/// The 19 LITIS Rouen class names, alphabetical (= Dataset::classes of a litis dataset).
const std::vector<std::string>& LitisClasses();

}  // namespace ascnet
