// Models (Recognizer over a bundle), training (TrainSplit) and experiments (RunExperiment)
// for the native module; see bind_audio.cpp for the module itself.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <c10/util/Exception.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>
#include <torch/cuda.h>
#include <torch/utils.h>

#include "ascnet/core/error.h"
#include "ascnet/experiment/experiment.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/model/bundle.h"
#include "ascnet/model/device.h"
#include "ascnet/train/train_split.h"
#include "common.h"

namespace ascnet::py_binding {
namespace {

std::string DeviceName(const torch::Device& d) { return d.str(); }

/// A loaded bundle ready to score audio; shared so that Python threads can use one model.
class PyModel {
 public:
  PyModel(ModelBundle bundle, const std::string& device, const std::string& scorer, std::string path)
      : device_(ParseDevice(device)),
        rec_(std::make_shared<Recognizer>(std::move(bundle), device_, ParseScoreKind(scorer))),
        path_(std::move(path)) {}

  static std::shared_ptr<PyModel> Load(const std::string& path, const std::string& device, const std::string& scorer) {
    std::shared_ptr<PyModel> m;
    {
      py::gil_scoped_release release;
      ParseDevice(device);  // a bad device name fails before the bundle is read
      ParseScoreKind(scorer);
      m = std::make_shared<PyModel>(LoadBundle(path, torch::kCPU), device, scorer, path);
    }
    return m;
  }

  const std::vector<std::string>& labels() const { return rec_->labels(); }
  std::string scorer() const { return ScoreKindName(rec_->score_kind()); }
  std::string device() const { return DeviceName(device_); }
  const std::string& path() const { return path_; }
  FeatureConfig config() const { return rec_->features(); }
  py::object arch() const { return JsonToPy(nlohmann::json(rec_->bundle().arch)); }

  py::dict Info() const {
    const ModelBundle& b = rec_->bundle();
    py::dict d;
    d["path"] = path_.empty() ? py::object(py::none()) : py::object(py::str(path_));
    d["arch"] = JsonToPy(nlohmann::json(b.arch));
    d["features"] = JsonToPy(nlohmann::json(b.features));
    d["labels"] = b.labels;
    d["normalisation"] = b.normalisation.Summary();
    d["calibrated"] = b.HasCalibration();
    d["scorer"] = scorer();
    d["device"] = device();
    d["parameters"] = CountParameters(b.arch);
    d["pooled_size"] = b.arch.PooledSize();
    d["metadata"] = JsonToPy(b.metadata);
    d["description"] = b.arch.ToString() + "\n\n" + b.features.ToString() + "\n\n" + FormatArchitecture(b.arch);
    return d;
  }

  py::object ClassifyPath(const std::string& path, bool segments) {
    RecordingScore r;
    {
      py::gil_scoped_release release;
      r = rec_->ClassifyFile(path, segments);
    }
    return JsonToPy(RecordingJson(r, labels(), segments));
  }

  py::object ClassifyWaveform(const py::handle& waveform, std::optional<int> sample_rate, bool segments,
                              const std::string& name) {
    const py::array a = CheckFloat32(waveform, 1, "waveform", "[num_samples] (mono)");
    const int rate = sample_rate.value_or(rec_->features().frame.sample_rate);
    RecordingScore r;
    {
      py::gil_scoped_release release;
      r = rec_->ClassifySamples(static_cast<const float*>(a.data()), a.shape(0), rate, segments, 64, name);
    }
    return JsonToPy(RecordingJson(r, labels(), segments));
  }

  py::array_t<double> Posteriors(const py::handle& segments) {
    const py::array a = CheckSegments(segments);
    DoubleMatrix p;
    const int64_t n = a.shape(0);
    if (n == 0) return py::array_t<double>(std::vector<py::ssize_t>{0, static_cast<py::ssize_t>(labels().size())});
    {
      py::gil_scoped_release release;
      p = rec_->Posteriors(static_cast<const float*>(a.data()), n);
    }
    return VectorToArray(std::move(p.data), {p.rows, p.cols});
  }

  py::array_t<float> Embed(const py::handle& segments) {
    const py::array a = CheckSegments(segments);
    FloatMatrix f;
    const int64_t n = a.shape(0);
    if (n == 0) return py::array_t<float>(std::vector<py::ssize_t>{0, rec_->bundle().arch.PooledSize()});
    {
      py::gil_scoped_release release;
      f = rec_->Embed(static_cast<const float*>(a.data()), n);
    }
    return VectorToArray(std::move(f.data), {f.rows, f.cols});
  }

  void Save(const std::string& path) {
    py::gil_scoped_release release;
    SaveBundle(path, rec_->bundle());
  }

 private:
  py::array CheckSegments(const py::handle& obj) const {
    const ArchConfig& a = rec_->bundle().arch;
    const std::string want = "[S, " + std::to_string(a.channels) + ", " + std::to_string(a.bands) + ", " +
                             std::to_string(a.frames) + "]";
    py::array arr = CheckFloat32(obj, 4, "segments", want);
    if (arr.shape(1) != a.channels || arr.shape(2) != a.bands || arr.shape(3) != a.frames) {
      throw py::value_error("segments must have shape " + want + " for this model, got [" +
                            std::to_string(arr.shape(0)) + ", " + std::to_string(arr.shape(1)) + ", " +
                            std::to_string(arr.shape(2)) + ", " + std::to_string(arr.shape(3)) + "]");
    }
    const float* p = static_cast<const float*>(arr.data());
    const int64_t n = static_cast<int64_t>(arr.size());
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(p[i])) {
        throw py::value_error("segments contain a non-finite value (" + std::to_string(p[i]) + ") at flat index " +
                              std::to_string(i));
      }
    }
    return arr;
  }

  torch::Device device_;
  std::shared_ptr<Recognizer> rec_;
  std::string path_;
};

/// Python callbacks called from native work that runs without the GIL: each call takes the
/// GIL; the first exception a callback raises is kept and re-raised when the work returns
/// (an epoch callback's exception, or Ctrl-C, also stops training after that epoch).
class Callbacks {
 public:
  Callbacks(py::object on_epoch, py::object print) : on_epoch_(std::move(on_epoch)), print_(std::move(print)) {}

  std::function<void(const std::string&)> PrintFn() {
    if (print_.is_none()) return nullptr;
    return [this](const std::string& line) {
      py::gil_scoped_acquire gil;
      if (error_) return;
      try {
        print_(line);
      } catch (py::error_already_set& e) {
        error_ = std::move(e);
      }
    };
  }

  std::function<bool(const EpochRecord&)> EpochFn() {
    return [this](const EpochRecord& r) {
      py::gil_scoped_acquire gil;
      if (error_) return false;
      if (PyErr_CheckSignals() != 0) {
        error_ = py::error_already_set();
        return false;
      }
      if (on_epoch_.is_none()) return true;
      try {
        TrainingLog log;
        log.epochs.push_back(r);
        const py::object ret = on_epoch_(JsonToPy(log.ToJson()[0]));
        return ret.is_none() || py::bool_(ret);
      } catch (py::error_already_set& e) {
        error_ = std::move(e);
        return false;
      }
    };
  }

  /// Re-raises a kept exception (call with the GIL held).
  void Rethrow() {
    if (error_) {
      py::error_already_set e = std::move(*error_);
      error_.reset();
      throw e;
    }
  }

 private:
  py::object on_epoch_, print_;
  std::optional<py::error_already_set> error_;
};

template <typename T>
T Field(const py::dict& d, const char* key, T fallback) {
  return d.contains(key) && !d[key].is_none() ? d[key].cast<T>() : fallback;
}

TrainOptions TrainOptionsFromDict(const py::dict& options) {
  TrainOptions o;
  from_json(PyToJson(options, "train options"), o);  // every field required: ConfigError naming it
  o.Validate();
  return o;
}

py::dict TrainResultDict(TrainSplitResult&& t, const std::string& device) {
  TrainResult& r = t.result;
  py::dict d;
  d["split"] = t.split;
  d["log"] = JsonToPy(r.log.ToJson());
  d["test_accuracy"] = r.test_accuracy;
  d["epochs"] = r.epochs;
  d["steps"] = r.steps;
  d["completed"] = r.completed;
  d["resumed"] = r.resumed;
  d["seconds"] = r.seconds;
  d["bundle_path"] = r.bundle_path.empty() ? py::object(py::none()) : py::object(py::str(r.bundle_path));
  py::list failures;
  for (const CacheFailure& f : t.failures) {
    py::dict fd;
    fd["path"] = f.path;
    fd["error"] = f.error;
    failures.append(fd);
  }
  d["failures"] = failures;
  std::shared_ptr<PyModel> model;
  {
    py::gil_scoped_release release;
    model = std::make_shared<PyModel>(std::move(r.bundle), device, "auto", r.bundle_path);
  }
  d["model"] = py::cast(model);
  return d;
}

}  // namespace

void BindModel(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const c10::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });

  py::class_<PyModel, std::shared_ptr<PyModel>>(m, "_Model")
      .def_static("load", &PyModel::Load, py::arg("path"), py::arg("device"), py::arg("scorer"))
      .def_property_readonly("labels", &PyModel::labels)
      .def_property_readonly("scorer", &PyModel::scorer)
      .def_property_readonly("device", &PyModel::device)
      .def_property_readonly("path", &PyModel::path)
      .def_property_readonly("config", &PyModel::config)
      .def_property_readonly("arch", &PyModel::arch)
      .def("info", &PyModel::Info)
      .def("classify_path", &PyModel::ClassifyPath, py::arg("path"), py::arg("segments"))
      .def("classify_waveform", &PyModel::ClassifyWaveform, py::arg("waveform"), py::arg("sample_rate"),
           py::arg("segments"), py::arg("name"))
      .def("posteriors", &PyModel::Posteriors, py::arg("segments"))
      .def("embed", &PyModel::Embed, py::arg("segments"))
      .def("save", &PyModel::Save, py::arg("path"));

  m.def("set_num_threads", [](int n) {
    if (n < 1) throw ConfigError("threads = " + std::to_string(n) + " (expected >= 1)");
    torch::set_num_threads(n);
  });
  m.def("get_num_threads", [] { return torch::get_num_threads(); });
  m.def("cuda_available", [] { return torch::cuda::is_available(); });
  m.def("check_device", [](const std::string& name) { return DeviceName(ParseDevice(name)); });

  m.def("train_options_preset", [](const std::string& name) { return JsonToPy(nlohmann::json(TrainOptions::Preset(name))); });
  m.def("default_attention_scale", &TrainOptions::DefaultAttentionScale);
  // The library's default recipes: `ascnet train`'s and `ascnet experiment`'s.
  m.def("train_options_default", [](const std::string& command) {
    if (command == "experiment") return JsonToPy(nlohmann::json(ExperimentOptions().train));
    return JsonToPy(nlohmann::json(TrainSplitOptions().train));
  });

  m.def(
      "train_split",
      [](const py::dict& spec, const py::dict& options, py::object on_epoch, py::object print) {
        TrainSplitOptions o;
        o.train = TrainOptionsFromDict(options);
        o.dataset = spec["dataset"].cast<std::string>();
        o.split = Field<std::string>(spec, "split", o.split);
        o.test_fold = Field<int>(spec, "test_fold", 0);
        o.arch = Field<std::string>(spec, "arch", o.arch);
        o.features = Field<std::string>(spec, "features", o.features);
        o.attention_scale = Field<std::string>(spec, "attention_scale", "");
        o.cache = Field<std::string>(spec, "cache", o.cache);
        Callbacks cb(std::move(on_epoch), std::move(print));
        TrainHooks hooks;
        hooks.on_epoch_end = cb.EpochFn();
        hooks.print = cb.PrintFn();
        std::optional<TrainSplitResult> r;
        {
          py::gil_scoped_release release;
          r = TrainSplit(o, hooks);
        }
        cb.Rethrow();
        return TrainResultDict(std::move(*r), o.train.device);
      },
      py::arg("spec"), py::arg("options"), py::arg("on_epoch"), py::arg("print"));

  m.def(
      "run_experiment",
      [](const py::dict& spec, const py::dict& options, py::object print) {
        ExperimentOptions o;
        o.dataset = spec["dataset"].cast<std::string>();
        o.out_dir = spec["out"].cast<std::string>();
        o.archs = Field<std::vector<std::string>>(spec, "archs", o.archs);
        o.features = Field<std::vector<std::string>>(spec, "features", o.features);
        o.splits = Field<std::string>(spec, "splits", o.splits);
        o.cache_dir = Field<std::string>(spec, "cache", "");
        o.attention_scale = Field<std::string>(spec, "attention_scale", "");
        o.calibration.C = Field<double>(spec, "svm_c", o.calibration.C);
        o.progress = Field<bool>(spec, "progress", true);
        o.train = TrainOptionsFromDict(options);
        // threads 0 = all cores, as with `ascnet experiment --threads 0`.
        o.threads = o.train.threads > 0 ? o.train.threads
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        Callbacks cb(py::none(), std::move(print));
        o.print = cb.PrintFn();
        ExperimentResults r;
        {
          py::gil_scoped_release release;
          r = RunExperiment(o);
        }
        cb.Rethrow();
        py::dict d(JsonToPy(nlohmann::json(r)));
        d["markdown"] = ResultsMarkdown(r);
        return d;
      },
      py::arg("spec"), py::arg("options"), py::arg("print"));

  m.def(
      "merge_experiments",
      [](const std::vector<std::string>& dirs, const std::string& out) {
        ExperimentResults r;
        {
          py::gil_scoped_release release;
          r = MergeExperiments(dirs, out);
        }
        py::dict d(JsonToPy(nlohmann::json(r)));
        d["markdown"] = ResultsMarkdown(r);
        return d;
      },
      py::arg("dirs"), py::arg("out"));
}

}  // namespace ascnet::py_binding
