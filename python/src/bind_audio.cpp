// The native module `ascnet._ascnet`: errors, audio decoding, feature configs and the front
// end (this file, no LibTorch use), models, training and experiments (bind_model.cpp).
// The public, typed API is the Python package python/ascnet/__init__.py over these.
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "ascnet/audio/decode.h"
#include "ascnet/audio/resample.h"
#include "ascnet/core/error.h"
#include "ascnet/data/dataset.h"
#include "ascnet/features/extractor.h"
#include "ascnet/features/options.h"
#include "ascnet/model/bundle_info.h"
#include "ascnet/train/checkpoint.h"
#include "common.h"

namespace ascnet::py_binding {

py::object JsonToPy(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null: return py::none();
    case T::boolean: return py::bool_(j.get<bool>());
    case T::number_integer: return py::int_(j.get<int64_t>());
    case T::number_unsigned: return py::int_(j.get<uint64_t>());
    case T::number_float: return py::float_(j.get<double>());
    case T::string: return py::str(j.get_ref<const std::string&>());
    case T::array: {
      py::list l;
      for (const auto& e : j) l.append(JsonToPy(e));
      return std::move(l);
    }
    case T::object: {
      py::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[py::str(it.key())] = JsonToPy(it.value());
      return std::move(d);
    }
    default: return py::none();
  }
}

nlohmann::json PyToJson(py::handle o, const std::string& where) {
  if (o.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::int_>(o) || (!PyFloat_Check(o.ptr()) && PyIndex_Check(o.ptr()))) {
    const py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(o.ptr()));
    if (!i) throw py::error_already_set();
    if (i < py::int_(0)) return i.cast<int64_t>();  // OverflowError if out of range
    return i.cast<uint64_t>();
  }
  if (PyFloat_Check(o.ptr()) || py::hasattr(o, "__float__")) return py::reinterpret_borrow<py::object>(o).cast<double>();
  if (py::isinstance<py::dict>(o)) {
    nlohmann::json j = nlohmann::json::object();
    for (auto item : py::reinterpret_borrow<py::dict>(o)) {
      if (!py::isinstance<py::str>(item.first)) {
        throw py::type_error(where + ": dictionary keys must be str, got " +
                             py::repr(item.first).cast<std::string>());
      }
      const std::string key = item.first.cast<std::string>();
      j[key] = PyToJson(item.second, where + "." + key);
    }
    return j;
  }
  if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    nlohmann::json j = nlohmann::json::array();
    size_t k = 0;
    for (py::handle e : o) j.push_back(PyToJson(e, where + "[" + std::to_string(k++) + "]"));
    return j;
  }
  throw py::type_error(where + ": " + py::repr(py::type::handle_of(o)).cast<std::string>() +
                       " cannot be stored (expected None, bool, int, float, str, list or dict)");
}

py::array CheckFloat32(const py::handle& obj, int ndim, const std::string& name, const std::string& shape_text) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(name + " must be a numpy.ndarray of float32 " + shape_text + ", got " +
                         py::repr(py::type::handle_of(obj)).cast<std::string>());
  }
  py::array a = py::reinterpret_borrow<py::array>(obj);
  if (!a.dtype().is(py::dtype::of<float>())) {
    throw py::type_error(name + " must have dtype float32, got " + py::str(a.dtype()).cast<std::string>() +
                         " (convert with .astype(numpy.float32))");
  }
  if (a.ndim() != ndim) {
    std::string got = "[";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) got += (d ? ", " : "") + std::to_string(a.shape(d));
    throw py::value_error(name + " must have " + std::to_string(ndim) + " dimension(s) " + shape_text + ", got " +
                          std::to_string(a.ndim()) + " with shape " + got + "]");
  }
  if (!(a.flags() & py::array::c_style) || !(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    throw py::value_error(name + " must be C-contiguous and aligned (got a strided view or another layout; "
                                 "pass numpy.ascontiguousarray(" + name + "))");
  }
  return a;
}

void RegisterErrors(py::module_& m) {
  // The classes live in ascnet/_errors.py (docstrings, Python bases); the translator below
  // raises the most specific one for each C++ type. References are leaked on purpose: they
  // must outlive every call, including those made during interpreter shutdown.
  py::module_ errors = py::module_::import("ascnet._errors");
  struct Classes {
    PyObject *error, *io, *format, *config, *audio, *bundle, *checkpoint, *dataset;
  };
  static Classes c;
  auto get = [&](const char* name) { return py::object(errors.attr(name)).release().ptr(); };
  c = {get("Error"), get("IoError"), get("FormatError"), get("ConfigError"),
       get("AudioError"), get("BundleError"), get("CheckpointError"), get("DatasetError")};
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const BundleError& e) {
      PyErr_SetString(c.bundle, e.what());
    } catch (const CheckpointError& e) {
      PyErr_SetString(c.checkpoint, e.what());
    } catch (const DatasetError& e) {
      PyErr_SetString(c.dataset, e.what());
    } catch (const IoError& e) {
      PyErr_SetString(c.io, e.what());
    } catch (const FormatError& e) {
      PyErr_SetString(c.format, e.what());
    } catch (const ConfigError& e) {
      PyErr_SetString(c.config, e.what());
    } catch (const AudioError& e) {
      PyErr_SetString(c.audio, e.what());
    } catch (const Error& e) {
      PyErr_SetString(c.error, e.what());
    } catch (const nlohmann::json::exception& e) {
      PyErr_SetString(c.format, e.what());
    }
  });
  m.attr("_errors") = errors;
}

namespace {

std::vector<float> LoadPath(const std::string& path, int rate) {
  AudioOptions audio;
  audio.target_rate = rate;
  audio.Validate();
  return LoadAudio(path, audio);
}

// Mono float32 samples from a waveform argument, resampled to `rate` when sample_rate differs.
std::vector<float> WaveformSamples(const py::handle& waveform, std::optional<int> sample_rate, int rate) {
  const py::array a = CheckFloat32(waveform, 1, "waveform", "[num_samples] (mono)");
  const float* p = static_cast<const float*>(a.data());
  std::vector<float> samples(p, p + a.shape(0));
  if (sample_rate && *sample_rate != rate) {
    if (*sample_rate <= 0) throw ConfigError("sample_rate = " + std::to_string(*sample_rate) + " Hz (expected > 0)");
    py::gil_scoped_release release;
    samples = Resample(samples, *sample_rate, rate);
  }
  return samples;
}

py::array_t<float> ImagesToArray(SegmentImages&& img) {
  const std::vector<py::ssize_t> shape = {img.num_segments, img.channels, img.bands, img.frames};
  return VectorToArray(std::move(img.data), shape);
}

template <typename S>
void Repr(py::class_<S>& c) {
  c.def("__repr__", [](const S& s) { return s.ToString(); });
}

void BindFeatureConfig(py::module_& m) {
  py::class_<FrameOptions> frame(m, "FrameOptions", "Framing and STFT (FeatureConfig.frame).");
  frame.def_readwrite("sample_rate", &FrameOptions::sample_rate, "Hz; audio is resampled to this rate.")
      .def_readwrite("frame_length", &FrameOptions::frame_length, "samples; periodic Hann window of this length.")
      .def_readwrite("frame_shift", &FrameOptions::frame_shift, "samples between frame starts.")
      .def_readwrite("fft_size", &FrameOptions::fft_size, "FFT length (>= frame_length).")
      .def_property_readonly("num_bins", &FrameOptions::NumBins, "fft_size // 2 + 1.");
  Repr(frame);
  py::class_<NoiseOptions> noise(m, "NoiseOptions",
                                 "Minimum-statistics noise tracking and background subtraction "
                                 "P_fg = max(P - alpha*N, beta*N) (FeatureConfig.noise).");
  noise.def_readwrite("alpha", &NoiseOptions::alpha, "over-subtraction factor.")
      .def_readwrite("beta", &NoiseOptions::beta, "noise floor as a fraction of N.")
      .def_readwrite("taca", &NoiseOptions::taca, "seconds (VOICEBOX time constant).")
      .def_readwrite("tamax", &NoiseOptions::tamax, "seconds.")
      .def_readwrite("taminh", &NoiseOptions::taminh, "seconds.")
      .def_readwrite("tpfall", &NoiseOptions::tpfall, "seconds.")
      .def_readwrite("tbmax", &NoiseOptions::tbmax, "seconds.")
      .def_readwrite("qeqmin", &NoiseOptions::qeqmin, "")
      .def_readwrite("qeqmax", &NoiseOptions::qeqmax, "")
      .def_readwrite("av", &NoiseOptions::av, "")
      .def_readwrite("td", &NoiseOptions::td, "seconds.")
      .def_readwrite("nu", &NoiseOptions::nu, "");
  Repr(noise);
  py::class_<FilterbankOptions> fb(m, "FilterbankOptions", "Mel or Gammatone filterbank (FeatureConfig.filterbank).");
  fb.def_property(
        "type", [](const FilterbankOptions& f) { return FilterbankOptions::TypeName(f.type); },
        [](FilterbankOptions& f, const std::string& s) { f.type = FilterbankOptions::ParseType(s); },
        "\"mel\" (power spectrum) or \"gammatone\" (magnitude spectrum).")
      .def_readwrite("num_bands", &FilterbankOptions::num_bands, "bands M.")
      .def_readwrite("low_freq", &FilterbankOptions::low_freq, "Hz.")
      .def_readwrite("high_freq", &FilterbankOptions::high_freq, "Hz; <= sample_rate / 2.");
  Repr(fb);
  py::class_<SegmentOptions> seg(m, "SegmentOptions", "Cutting the image into segments (FeatureConfig.segment).");
  seg.def_readwrite("frames", &SegmentOptions::frames, "T: frames per segment.")
      .def_readwrite("hop", &SegmentOptions::hop, "frames between grid window starts (== frames: no overlap).")
      .def_readwrite("cover_end", &SegmentOptions::cover_end,
                     "add a window aligned to the end when the grid leaves trailing frames uncovered.");
  Repr(seg);

  py::class_<FeatureConfig> fc(m, "FeatureConfig", R"doc(Everything that defines a feature image.

Start from a preset and change fields in place; ``validate()`` checks them (features() and
Model do too)::

    cfg = ascnet.FeatureConfig.preset("loggam")
    cfg.segment.hop = 40          # 50 % overlapping segments
    cfg.validate()
    d = cfg.to_dict(); same = ascnet.FeatureConfig.from_dict(d)
)doc");
  fc.def(py::init<>(), "The logmel preset's values.")
      .def_static("preset", &FeatureConfig::Preset, py::arg("name"),
                  "\"logmel\" (Mel of the power spectrum) or \"loggam\" (Gammatone of the magnitude spectrum); "
                  "ConfigError for other names.")
      .def_readwrite("name", &FeatureConfig::name, "preset name this config started from.")
      .def_readwrite("frame", &FeatureConfig::frame, "FrameOptions (framing, STFT).")
      .def_readwrite("noise", &FeatureConfig::noise, "NoiseOptions (noise tracking, background subtraction).")
      .def_readwrite("filterbank", &FeatureConfig::filterbank, "FilterbankOptions.")
      .def_readwrite("segment", &FeatureConfig::segment, "SegmentOptions.")
      .def_readwrite("background_channel", &FeatureConfig::background_channel,
                     "add channel 1 (background-subtracted); False: 1 channel.")
      .def_readwrite("log_floor", &FeatureConfig::log_floor, "L = ln(max(x, log_floor)).")
      .def_property_readonly("num_channels", &FeatureConfig::NumChannels, "C: 2 with the background channel, else 1.")
      .def("validate", &FeatureConfig::Validate, "ConfigError naming the field and the expected range.")
      .def(
          "to_dict", [](const FeatureConfig& c) { return JsonToPy(nlohmann::json(c)); },
          "The config as a dict (the JSON stored in model bundles).")
      .def_static(
          "from_dict",
          [](const py::dict& d) {
            FeatureConfig c;
            from_json(PyToJson(d, "FeatureConfig"), c);
            return c;
          },
          py::arg("d"), "From to_dict()'s form; every field is required (ConfigError naming a missing or bad one).")
      .def("copy", [](const FeatureConfig& c) { return c; }, "An independent copy.")
      .def("__copy__", [](const FeatureConfig& c) { return c; })
      .def("__deepcopy__", [](const FeatureConfig& c, py::dict) { return c; }, py::arg("memo"))
      .def("__eq__", [](const FeatureConfig& a, const FeatureConfig& b) { return nlohmann::json(a) == nlohmann::json(b); })
      .def(py::pickle([](const FeatureConfig& c) { return py::dict(JsonToPy(nlohmann::json(c))); },
                      [](const py::dict& d) {
                        FeatureConfig c;
                        from_json(PyToJson(d, "FeatureConfig"), c);
                        return c;
                      }));
  Repr(fc);
}

}  // namespace

}  // namespace ascnet::py_binding

using namespace ascnet;
using namespace ascnet::py_binding;

PYBIND11_MODULE(_ascnet, m) {
  m.doc() = "Native core of the ascnet package (use the package `ascnet`, not this module).";
  RegisterErrors(m);
  BindFeatureConfig(m);

  m.def(
      "load_audio",
      [](const std::string& path, int rate) {
        std::vector<float> samples;
        {
          py::gil_scoped_release release;
          samples = LoadPath(path, rate);
        }
        const py::ssize_t n = static_cast<py::ssize_t>(samples.size());
        return VectorToArray(std::move(samples), {n});
      },
      py::arg("path"), py::arg("rate"));

  m.def(
      "features_from_path",
      [](const std::string& path, FeatureConfig cfg) {
        cfg.Validate();
        SegmentImages img;
        {
          py::gil_scoped_release release;
          const std::vector<float> samples = LoadPath(path, cfg.frame.sample_rate);
          img = FeatureExtractor::Compute(cfg, samples);
        }
        return ImagesToArray(std::move(img));
      },
      py::arg("path"), py::arg("config"));

  m.def(
      "features_from_waveform",
      [](const py::handle& waveform, FeatureConfig cfg, std::optional<int> sample_rate) {
        cfg.Validate();
        std::vector<float> samples = WaveformSamples(waveform, sample_rate, cfg.frame.sample_rate);
        SegmentImages img;
        {
          py::gil_scoped_release release;
          img = FeatureExtractor::Compute(cfg, samples);
        }
        return ImagesToArray(std::move(img));
      },
      py::arg("waveform"), py::arg("config"), py::arg("sample_rate"));

  BindModel(m);
}
