// `ascnet classify`: label audio files with a trained model bundle.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "ascnet/infer/recognizer.h"
#include "cli_common.h"
#include "commands.h"
#include "device.h"

namespace ascnet::cli {
namespace {

struct ClassifyArgs {
  std::string model;
  std::vector<std::string> inputs;
  bool segments = false;
  std::string format = "jsonl";
  std::string scorer = "auto";
  int threads = 2;
  std::string device = "cpu";
};

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string Probabilities(const std::vector<double>& p) {
  std::ostringstream os;
  os.precision(6);
  for (double v : p) os << "," << v;
  return os.str();
}

std::string FormatResult(const ClassifyArgs& a, const std::vector<std::string>& labels, const std::string& file,
                         const RecordingScore* r, const std::string& error) {
  if (a.format == "csv") {
    std::ostringstream os;
    if (!r) {
      os << CsvField(file) << ",,," << std::string(labels.size(), ',') << "," << CsvField(error) << "\n";
      return os.str();
    }
    os << CsvField(file) << ",," << CsvField(labels[static_cast<size_t>(r->label)]) << Probabilities(r->probs) << ","
       << r->num_segments << ",\n";
    for (const SegmentScore& s : r->segments) {
      size_t best = 0;
      for (size_t c = 1; c < s.probs.size(); ++c) best = s.probs[c] > s.probs[best] ? c : best;
      os << CsvField(file) << "," << s.start_seconds << "," << CsvField(labels[best]) << Probabilities(s.probs) << ",,\n";
    }
    return os.str();
  }
  if (!r) {
    nlohmann::json j;
    j["file"] = file;
    j["error"] = error;
    return j.dump() + "\n";
  }
  return RecordingJson(*r, labels, a.segments).dump() + "\n";
}

int RunClassify(const ClassifyArgs& a) {
  if (a.threads < 1) throw ConfigError("--threads must be >= 1");
  const torch::Device device = ParseDevice(a.device);
  SetTorchThreads(a.threads);
  Recognizer rec = Recognizer::Load(a.model, device, ParseScoreKind(a.scorer));
  const std::vector<std::string>& labels = rec.labels();
  std::cerr << "ascnet classify: model " << a.model << " (" << rec.bundle().arch.Name() << ", "
            << rec.features().name << ", " << labels.size() << " classes, scorer " << ScoreKindName(rec.score_kind())
            << ", device " << device << ", " << a.threads << " thread(s))" << std::endl;

  // Expand folders into their audio files; a missing input is reported as a failure.
  std::vector<std::string> files;
  for (const std::string& in : a.inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      const auto found = FindAudioFiles(in);
      if (found.empty()) std::cerr << "ascnet classify: warning: no audio files in folder " << in << std::endl;
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }
  if (a.format == "csv") {
    std::cout << "file,start_s,label";
    for (const auto& l : labels) std::cout << "," << CsvField(l);
    std::cout << ",num_segments,error\n";
  }

  // Workers extract features in parallel (the network runs under the recognizer's lock);
  // results are printed in input order as soon as they are ready.
  std::vector<std::optional<std::string>> out(files.size());
  std::mutex mu;
  size_t printed = 0;
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  auto publish = [&](size_t i, std::string text) {
    std::lock_guard<std::mutex> lock(mu);
    out[i] = std::move(text);
    while (printed < out.size() && out[printed]) {
      std::cout << *out[printed] << std::flush;
      out[printed].reset();
      ++printed;
    }
  };
  auto worker = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= files.size()) break;
      try {
        const RecordingScore r = rec.ClassifyFile(files[i], a.segments);
        publish(i, FormatResult(a, labels, files[i], &r, ""));
      } catch (const std::exception& e) {
        ++failed;
        {
          std::lock_guard<std::mutex> lock(mu);
          PrintError("classify", e.what());
        }
        publish(i, FormatResult(a, labels, files[i], nullptr, e.what()));
      }
    }
  };
  std::vector<std::thread> pool;
  const int n = std::max(1, std::min<int>(a.threads, static_cast<int>(files.size())));
  for (int t = 0; t < n; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (failed) {
    std::cerr << "ascnet classify: " << failed << " of " << files.size() << " file(s) failed" << std::endl;
    return 1;
  }
  if (files.empty()) {
    std::cerr << "ascnet classify: error: no audio files to classify" << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

void RegisterClassify(CLI::App& app) {
  auto a = std::make_shared<ClassifyArgs>();
  CLI::App* c = AddCommand(app, "classify",
                           "Classify audio files or folders with a trained model bundle (one JSON object per line, or CSV)",
                           "ascnet classify --model runs/demo/splits/fold1/attcrnn-logmel/model.ascnet recording.wav more/recordings/",
                           [a] { return RunClassify(*a); });
  c->add_option("--model", a->model, "Model bundle (.ascnet)")->required();
  c->add_option("inputs", a->inputs, "Audio files or folders (any format libsndfile reads, any rate and length)")
      ->required();
  c->add_flag("--segments", a->segments, "Also print every segment's posteriors with its start time");
  c->add_option("--format", a->format, "Output format")->check(CLI::IsMember({"jsonl", "csv"}))->capture_default_str();
  c->add_option("--scorer", a->scorer, "Posteriors from the calibrated SVM (svm), the network (softmax), or auto")
      ->check(CLI::IsMember({"auto", "softmax", "svm"}))
      ->capture_default_str();
  c->add_option("--threads", a->threads, "Files decoded in parallel, and LibTorch threads")->capture_default_str();
  c->add_option("--device", a->device, "cpu or cuda[:N]")->capture_default_str();
}

}  // namespace ascnet::cli
