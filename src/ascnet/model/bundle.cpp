#include "ascnet/model/bundle.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <torch/utils.h>

#include "ascnet/core/binary_record.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/json_get.h"
#include "ascnet/core/npy.h"  // ShapeString
#include "ascnet/core/text.h"

namespace ascnet {
namespace {

using nlohmann::json;

constexpr std::string_view kTagHead = "HEAD";
constexpr std::string_view kTagTens = "TENS";
constexpr uint32_t kNumSections = 2;
constexpr const char* kFormatName = "ascnet-model-bundle";

[[noreturn]] void Fail(const std::string& name, const std::string& part, const std::string& problem) {
  throw BundleError(WithPath(name, part + ": " + problem));
}

bool HostIsLittleEndian() {
  const uint16_t one = 1;
  unsigned char c;
  std::memcpy(&c, &one, 1);
  return c == 1;
}

const char* DtypeName(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return "float32";
    case torch::kLong: return "int64";
    default: return nullptr;
  }
}

const json& Field(const json& obj, const char* key, const std::string& name, const std::string& part) {
  if (!obj.is_object()) Fail(name, part, "expected a JSON object");
  auto it = obj.find(key);
  if (it == obj.end()) Fail(name, part, std::string("missing field \"") + key + "\"");
  return *it;
}

template <typename T>
T Get(const json& obj, const char* key, const std::string& name, const std::string& part) {
  const json& v = Field(obj, key, name, part);
  try {
    return JsonGet<T>(v);
  } catch (const json::exception& e) {
    Fail(name, part, std::string("field \"") + key + "\" has the wrong type: " + e.what());
  }
}

json NormalisationToJson(const Normalisation& n) {
  return json{{"channels", n.channels}, {"bands", n.bands}, {"mean", n.mean}, {"std", n.std}};
}

struct Decoded {
  ModelBundle bundle;
  uint32_t version = 0;
  uint64_t header_bytes = 0, tensor_bytes = 0;
};

// The container: magic, version, section count, the HEAD (JSON text) and TENS sections, and
// nothing after them.
struct Container {
  uint32_t version = 0;
  std::string head_text, tensors;
};

Container ReadContainer(const std::string& bytes, const std::string& name) {
  if (!HostIsLittleEndian()) Fail(name, "container", "big-endian hosts are not supported");
  Container c;
  RecordReader r(bytes, [&](const std::string& part, const std::string& problem) { Fail(name, part, problem); });
  r.Magic(std::string_view(kBundleMagic, 8), "an ascnet model bundle");
  c.version = r.Version(kBundleVersion);
  const uint32_t count = static_cast<uint32_t>(r.Uint(4, "container", "the section count"));
  if (count != kNumSections) Fail(name, "container", "section count is " + Str(count) + ", expected 2");
  c.head_text = r.Section(kTagHead, 1);
  c.tensors = r.Section(kTagTens, 2);
  r.End("container", "the last section");
  return c;
}

json ParseHeader(const std::string& text, const std::string& name) {
  json head;
  try {
    head = json::parse(text);
  } catch (const json::exception& e) {
    Fail(name, "header", std::string("invalid JSON: ") + e.what());
  }
  if (!head.is_object()) Fail(name, "header", "expected a JSON object");
  const std::string format = Get<std::string>(head, "format", name, "header");
  if (format != kFormatName) Fail(name, "header", "format is \"" + format + "\", expected \"" + kFormatName + "\"");
  return head;
}

// Parses `j` into `out` and validates it; any error becomes a BundleError for header.<part>.
template <typename T>
void DecodePart(const json& head, const char* key, const std::string& name, T* out) {
  try {
    from_json(Field(head, key, name, "header"), *out);
    out->Validate();
  } catch (const BundleError&) {
    throw;
  } catch (const Error& e) {
    Fail(name, std::string("header.") + key, e.what());
  }
}

// Everything but the network: arch, features, labels, normalisation, calibration, metadata,
// checked against each other before any tensor is read.
void DecodeHeaderParts(const json& head, const std::string& name, ModelBundle* b) {
  DecodePart(head, "arch", name, &b->arch);
  DecodePart(head, "features", name, &b->features);
  b->labels = Get<std::vector<std::string>>(head, "labels", name, "header");
  const json& nj = Field(head, "normalisation", name, "header");
  b->normalisation.channels = Get<int>(nj, "channels", name, "header.normalisation");
  b->normalisation.bands = Get<int>(nj, "bands", name, "header.normalisation");
  b->normalisation.mean = Get<std::vector<float>>(nj, "mean", name, "header.normalisation");
  b->normalisation.std = Get<std::vector<float>>(nj, "std", name, "header.normalisation");
  b->calibration = Field(head, "calibration", name, "header");
  if (!b->calibration.is_null() && !b->calibration.is_object()) {
    Fail(name, "header.calibration", "expected a JSON object or null");
  }
  if (head.contains("metadata")) b->metadata = head["metadata"];
  b->ValidateHeader(name);
}

// The parameters alone (float32) must fit in the tensor section. Checked before the network is
// built, so that a small file cannot make us allocate a huge one; small mismatches are left to
// the per-tensor checks, which say more precisely what differs.
void CheckParameterBudget(const ArchConfig& arch, size_t tensor_bytes, const std::string& name) {
  const int64_t parameters = CountParameters(arch);
  const uint64_t parameter_bytes = 4 * static_cast<uint64_t>(parameters);
  if (parameter_bytes > (uint64_t{64} << 20) && parameter_bytes > tensor_bytes) {
    Fail(name, "header.arch",
         "describes a network of " + Str(parameters) + " parameters (" + Str(parameter_bytes) +
             " bytes) but the tensor section holds only " + Str(tensor_bytes) + " bytes");
  }
}

// Builds the network the arch describes and fills it from the tensor directory: every tensor
// named once, with the network's dtype and shape, finite, its bytes inside the section; the
// tensors tile the section exactly (no overlaps, no unaccounted bytes).
void LoadTensors(const json& head, const std::string& tens, const std::string& name, ModelBundle* b) {
  torch::NoGradGuard no_grad;
  try {
    b->net = MakeNetwork(b->arch);
  } catch (const c10::Error& e) {
    Fail(name, "header.arch", std::string("cannot build the network: ") + e.what_without_backtrace());
  }
  auto expected = NamedTensors(*b->net);
  std::map<std::string, torch::Tensor> by_name(expected.begin(), expected.end());
  std::set<std::string> seen;
  const json& dir = Field(head, "tensors", name, "header");
  if (!dir.is_array()) Fail(name, "header.tensors", "expected a JSON array");
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> ranges;  // [begin, end), name
  for (const json& e : dir) {
    const std::string tname = Get<std::string>(e, "name", name, "header.tensors");
    const std::string part = "tensor " + tname;
    auto it = by_name.find(tname);
    if (it == by_name.end()) {
      Fail(name, part, "not a tensor of the " + b->arch.Name() + " network described by header.arch");
    }
    if (!seen.insert(tname).second) Fail(name, part, "listed twice");
    torch::Tensor& dst = it->second;
    const std::string dtype = Get<std::string>(e, "dtype", name, part);
    const char* want_dtype = DtypeName(dst.scalar_type());
    if (want_dtype == nullptr || dtype != want_dtype) {
      Fail(name, part, "dtype is \"" + dtype + "\", expected \"" + (want_dtype ? want_dtype : "?") + "\"");
    }
    const auto shape = Get<std::vector<int64_t>>(e, "shape", name, part);
    if (shape != dst.sizes().vec()) {
      Fail(name, part,
           "shape " + ShapeString(shape) + " does not match the architecture (expected " + ShapeString(dst.sizes().vec()) +
               ")");
    }
    const uint64_t offset = Get<uint64_t>(e, "offset", name, part);
    const uint64_t nbytes = Get<uint64_t>(e, "bytes", name, part);
    const uint64_t want_bytes = static_cast<uint64_t>(dst.numel()) * dst.element_size();
    if (nbytes != want_bytes) Fail(name, part, "size is " + Str(nbytes) + " bytes, expected " + Str(want_bytes));
    if (offset > tens.size() || nbytes > tens.size() - offset) {
      Fail(name, part,
           "data [" + Str(offset) + ", " + Str(offset + nbytes) + ") lies beyond the tensor section (" +
               Str(tens.size()) + " bytes)");
    }
    ranges.emplace_back(offset, offset + nbytes, tname);
    TORCH_CHECK(dst.is_contiguous() && dst.device().is_cpu(), "bundle: fresh network tensors must be contiguous CPU");
    std::memcpy(dst.data_ptr(), tens.data() + offset, nbytes);
    if (dst.scalar_type() == torch::kFloat && !torch::isfinite(dst).all().item<bool>()) {
      Fail(name, part, "contains NaN or infinite values");
    }
  }
  for (const auto& [tname, t] : expected) {
    if (!seen.count(tname)) Fail(name, "tensor " + tname, "missing from header.tensors (the network needs it)");
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0;
  for (const auto& [begin, end, tname] : ranges) {
    if (begin != covered) {
      Fail(name, "tensor " + tname,
           "data offset is " + Str(begin) + ", expected " + Str(covered) +
               (begin < covered ? " (overlaps the previous tensor)" : " (gap before it)"));
    }
    covered = end;
  }
  if (covered != tens.size()) {
    Fail(name, "section 2 (TENS)",
         Str(tens.size() - covered) + " bytes not covered by header.tensors (expected " + Str(covered) +
             " bytes in all)");
  }
  b->net->eval();
}

Decoded Decode(const std::string& bytes, const std::string& name) {
  const Container c = ReadContainer(bytes, name);
  Decoded d;
  d.version = c.version;
  d.header_bytes = c.head_text.size();
  d.tensor_bytes = c.tensors.size();
  const json head = ParseHeader(c.head_text, name);
  DecodeHeaderParts(head, name, &d.bundle);
  CheckParameterBudget(d.bundle.arch, c.tensors.size(), name);
  LoadTensors(head, c.tensors, name, &d.bundle);
  d.bundle.Validate(name);
  return d;
}

}  // namespace

Normalisation Normalisation::Identity(int channels, int bands) {
  Normalisation n;
  n.channels = channels;
  n.bands = bands;
  n.mean.assign(static_cast<size_t>(channels) * bands, 0.0f);
  n.std.assign(static_cast<size_t>(channels) * bands, 1.0f);
  return n;
}

void Normalisation::Validate() const {
  if (channels < 1 || bands < 1) {
    throw ConfigError("normalisation: channels and bands must be >= 1 (got " + Str(channels) + " x " + Str(bands) +
                      ")");
  }
  const size_t n = static_cast<size_t>(channels) * bands;
  if (mean.size() != n) {
    throw ConfigError("normalisation: mean has " + Str(mean.size()) + " values, expected channels x bands = " + Str(n));
  }
  if (std.size() != n) {
    throw ConfigError("normalisation: std has " + Str(std.size()) + " values, expected channels x bands = " + Str(n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(mean[i])) throw ConfigError("normalisation: mean[" + Str(i) + "] is not finite");
    if (!(std::isfinite(std[i]) && std[i] > 0)) {
      throw ConfigError("normalisation: std[" + Str(i) + "] = " + Str(std[i]) + " (expected finite and > 0)");
    }
  }
}

std::string Normalisation::Summary() const {
  std::ostringstream os;
  os << "[" << channels << " channels x " << bands << " bands]";
  if (!mean.empty() && !std.empty()) {
    const auto [mlo, mhi] = std::minmax_element(mean.begin(), mean.end());
    const auto [slo, shi] = std::minmax_element(std.begin(), std.end());
    os << ", mean in [" << *mlo << ", " << *mhi << "], std in [" << *slo << ", " << *shi << "]";
  }
  return os.str();
}

void ModelBundle::Validate(const std::string& name) const {
  ValidateHeader(name);
  if (!net) Fail(name, "net", "no network");
  if (json(net->arch()) != json(arch)) {
    Fail(name, "net", "the network was built for a different architecture than the bundle's arch");
  }
}

void ModelBundle::ValidateHeader(const std::string& name) const {
  try {
    arch.Validate();
  } catch (const ConfigError& e) {
    Fail(name, "arch", e.what());
  }
  try {
    features.Validate();
  } catch (const ConfigError& e) {
    Fail(name, "features", e.what());
  }
  if (features.NumChannels() != arch.channels) {
    Fail(name, "features", "images have " + Str(features.NumChannels()) + " channels, the network expects " +
                               Str(arch.channels) + " (arch.channels)");
  }
  if (features.filterbank.num_bands != arch.bands) {
    Fail(name, "features", "filterbank.num_bands is " + Str(features.filterbank.num_bands) +
                               ", the network expects " + Str(arch.bands) + " (arch.bands)");
  }
  if (features.segment.frames != arch.frames) {
    Fail(name, "features", "segment.frames is " + Str(features.segment.frames) + ", the network expects " +
                               Str(arch.frames) + " (arch.frames)");
  }
  if (static_cast<int64_t>(labels.size()) != arch.classes) {
    Fail(name, "labels", Str(labels.size()) + " labels, expected " + Str(arch.classes) + " (arch.classes)");
  }
  std::set<std::string> uniq;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) Fail(name, "labels", "label " + Str(i) + " is empty");
    if (!uniq.insert(labels[i]).second) Fail(name, "labels", "label \"" + labels[i] + "\" appears twice");
  }
  if (normalisation.channels != arch.channels || normalisation.bands != arch.bands) {
    Fail(name, "normalisation",
         "statistics are for [" + Str(normalisation.channels) + " x " + Str(normalisation.bands) + "], expected [" +
             Str(arch.channels) + " x " + Str(arch.bands) + "] (arch.channels x arch.bands)");
  }
  try {
    normalisation.Validate();
  } catch (const ConfigError& e) {
    Fail(name, "normalisation", e.what());
  }
  if (!calibration.is_null() && !calibration.is_object()) Fail(name, "calibration", "expected a JSON object or null");
}

ModelBundle MakeBundle(const ArchConfig& arch, const FeatureConfig& features, std::vector<std::string> labels) {
  ModelBundle b;
  b.arch = arch;
  b.features = features;
  if (labels.empty()) {
    for (int c = 0; c < arch.classes; ++c) labels.push_back("class" + std::to_string(c));
  }
  b.labels = std::move(labels);
  b.normalisation = Normalisation::Identity(arch.channels, arch.bands);
  b.net = MakeNetwork(arch);
  b.Validate();
  return b;
}

std::string EncodeBundle(const ModelBundle& b) {
  b.Validate();
  if (!HostIsLittleEndian()) throw BundleError("model bundle: big-endian hosts are not supported");
  json head;
  head["format"] = kFormatName;
  head["arch"] = b.arch;
  head["features"] = b.features;
  head["labels"] = b.labels;
  head["normalisation"] = NormalisationToJson(b.normalisation);
  head["calibration"] = b.HasCalibration() ? b.calibration : json(nullptr);
  head["metadata"] = b.metadata;
  std::string data;
  json dir = json::array();
  for (const auto& [tname, t] : NamedTensors(*b.net)) {
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    const char* dtype = DtypeName(c.scalar_type());
    if (dtype == nullptr) throw BundleError("model bundle: tensor " + tname + " has an unsupported dtype");
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    dir.push_back(json{{"name", tname}, {"dtype", dtype}, {"shape", c.sizes().vec()}, {"offset", data.size()},
                       {"bytes", nbytes}});
    data.append(static_cast<const char*>(c.data_ptr()), nbytes);
  }
  head["tensors"] = dir;
  const std::string head_text = head.dump(1);
  RecordWriter w(std::string_view(kBundleMagic, 8));
  w.U32(kBundleVersion);
  w.U32(kNumSections);
  w.Section(kTagHead, head_text);
  w.Section(kTagTens, data);
  return w.Take();
}

void SaveBundle(const std::string& path, const ModelBundle& b) {
  const std::string bytes = EncodeBundle(b);
  WriteBytesAtomically(path, bytes);
}

ModelBundle DecodeBundle(const std::string& bytes, const std::string& name) { return Decode(bytes, name).bundle; }

ModelBundle LoadBundle(const std::string& path, torch::Device device) {
  ModelBundle b = DecodeBundle(ReadFile(path), path);
  b.net->to(device);
  return b;
}

BundleSummary InspectBundle(const std::string& path) {
  Decoded d = Decode(ReadFile(path), path);
  BundleSummary s;
  s.version = d.version;
  s.arch = d.bundle.arch;
  s.features = d.bundle.features;
  s.labels = d.bundle.labels;
  s.normalisation = d.bundle.normalisation;
  s.calibration = d.bundle.HasCalibration() ? d.bundle.calibration : json(nullptr);
  s.metadata = d.bundle.metadata;
  s.header_bytes = d.header_bytes;
  s.tensor_bytes = d.tensor_bytes;
  s.parameters = d.bundle.net->NumParameters();
  return s;
}

}  // namespace ascnet
