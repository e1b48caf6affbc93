#include "ascnet/model/arch.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/npy.h"  // ShapeString
#include "ascnet/core/json_get.h"
#include "ascnet/core/text.h"

namespace ascnet {
namespace {

[[noreturn]] void Bad(const std::string& field, const std::string& expected, const std::string& got) {
  BadOption("architecture", field, expected, got);
}
bool IsProb(double p) { return std::isfinite(p) && p >= 0.0 && p < 1.0; }

}  // namespace

int ArchConfig::BandsAfterConv() const {
  int m = bands;
  for (size_t i = 0; i < filters.size(); ++i) m /= (pool > 0 ? pool : 1);
  return m;
}

void ArchConfig::Validate() const {
  if (channels < 1 || channels > 64) Bad("channels", "1..64", Str(channels));
  if (filters.empty() || filters.size() > 8) Bad("filters", "1..8 conv layers", Str(filters));
  for (int f : filters) {
    if (f < 1 || f > 4096) Bad("filters", "each 1..4096", Str(filters));
  }
  if (kernels.size() != filters.size()) {
    Bad("kernels", Str(filters.size()) + " sizes (one per entry of filters)", Str(kernels));
  }
  for (int k : kernels) {
    if (k < 1 || k > 15) Bad("kernels", "each 1..15", Str(kernels));
  }
  if (pool < 1 || pool > 16) Bad("pool", "1..16", Str(pool));
  int64_t reduction = 1;
  for (size_t i = 0; i < filters.size(); ++i) reduction *= pool;
  if (bands < 1 || bands > 4096 || bands % reduction != 0) {
    Bad("bands", "a positive multiple of pool^layers = " + Str(reduction) + ", at most 4096", Str(bands));
  }
  if (frames < 1 || frames > 100000) Bad("frames", "1..100000", Str(frames));
  if (!IsProb(conv_dropout)) Bad("conv_dropout", "a probability in [0, 1)", Str(conv_dropout));
  if (!(std::isfinite(batchnorm_eps) && batchnorm_eps > 0)) Bad("batchnorm_eps", "> 0", Str(batchnorm_eps));
  if (!(std::isfinite(batchnorm_momentum) && batchnorm_momentum >= 0 && batchnorm_momentum <= 1)) {
    Bad("batchnorm_momentum", "0..1", Str(batchnorm_momentum));
  }
  if (hidden < 1 || hidden > 4096) Bad("hidden", "1..4096", Str(hidden));
  if (rnn_layers < 1 || rnn_layers > 8) Bad("rnn_layers", "1..8", Str(rnn_layers));
  if (!IsProb(rnn_dropout)) Bad("rnn_dropout", "a probability in [0, 1)", Str(rnn_dropout));
  if (attention < 1 || attention > 4096) Bad("attention", "1..4096", Str(attention));
  if (classes < 2 || classes > 100000) Bad("classes", "2..100000", Str(classes));
  if (!(std::isfinite(instance_norm) && instance_norm >= 0 && instance_norm <= 1)) {
    Bad("instance_norm", "in [0, 1] (0 = off)", Str(instance_norm));
  }
}

std::string ArchConfig::ToString() const {
  std::ostringstream os;
  os << "ArchConfig(arch=" << Name() << ", input=[" << channels << ", " << bands << " bands, " << frames
     << " frames], classes=" << classes << ")\n";
  if (NormalisesInput()) {
    os << "  input: relaxed instance frequency-wise normalisation, lambda=" << instance_norm << "\n";
  }
  os << "  conv block: filters=" << Str(filters) << ", kernels=" << Str(kernels) << " (SAME), pool=" << pool
     << "x1 (frequency), dropout=" << conv_dropout << ", batchnorm eps=" << batchnorm_eps
     << " momentum=" << batchnorm_momentum;
  if (IsAttCrnn()) {
    os << "\n  recurrent: " << rnn_layers << " x bidirectional GRU, hidden=" << hidden
       << ", dropout=" << rnn_dropout << " (input of each layer and output of the stack)\n"
       << "  attention: size=" << attention << ", scale=" << ScaleName(attention_scale);
  } else {
    os << "\n  pooling: global max over frequency and time";
  }
  return os.str();
}

namespace {

// The kinds of network: the one table of their names.
struct KindInfo {
  ArchConfig::Kind kind;
  const char* name;     // in JSON, on the command line, in result rows
  const char* display;  // in result tables
};
constexpr KindInfo kKinds[] = {{ArchConfig::Kind::kAttCrnn, "attcrnn", "Att-CRNN"},
                               {ArchConfig::Kind::kCnn, "cnn", "CNN baseline"}};

// The attention scales: the one table of their names, of s's value (FixedAttentionScale) and
// of s as formula text (DescribeLayers).
struct ScaleInfo {
  ArchConfig::AttentionScale scale;
  const char* name;
  double (*value)(const ArchConfig&);  // the fixed s; kLearned's initial value
  const char* factor;                  // s in "x_s = sum_t tanh(s * ...)"; "" for s = 1
};
constexpr ScaleInfo kScales[] = {
    {ArchConfig::AttentionScale::kNone, "none", [](const ArchConfig&) { return 1.0; }, ""},
    {ArchConfig::AttentionScale::kMean1, "mean1", [](const ArchConfig& c) { return c.MeanOneScale(); }, "2HT"},
    {ArchConfig::AttentionScale::kRow1, "row1", [](const ArchConfig& c) { return 2.0 * c.hidden; }, "2H"},
    {ArchConfig::AttentionScale::kLearned, "learned", [](const ArchConfig& c) { return c.MeanOneScale(); }, "scale"}};

const ScaleInfo& Info(ArchConfig::AttentionScale s) {
  for (const ScaleInfo& i : kScales) {
    if (i.scale == s) return i;
  }
  return kScales[0];
}
const KindInfo& Info(ArchConfig::Kind k) {
  for (const KindInfo& i : kKinds) {
    if (i.kind == k) return i;
  }
  return kKinds[0];
}

// "\"a\"", "\"a\" or \"b\"", "\"a\", \"b\" or \"c\"".
std::string QuotedAlternatives(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const std::string& n : names) quoted.push_back("\"" + n + "\"");
  return JoinWords(quoted, " or ");
}

// s as a factor in formula text: "" for s = 1, else e.g. "2H * ".
std::string ScaleFactorText(ArchConfig::AttentionScale s) {
  const std::string f = Info(s).factor;
  return f.empty() ? "" : f + " * ";
}

}  // namespace

std::string ArchConfig::ScaleName(AttentionScale s) { return Info(s).name; }

ArchConfig::AttentionScale ArchConfig::ParseScale(const std::string& s) {
  for (const ScaleInfo& i : kScales) {
    if (s == i.name) return i.scale;
  }
  Bad("attention_scale", QuotedAlternatives(ScaleNames()), "\"" + s + "\"");
}

std::vector<std::string> ArchConfig::ScaleNames() {
  std::vector<std::string> names;
  for (const ScaleInfo& i : kScales) names.push_back(i.name);
  return names;
}

double ArchConfig::FixedAttentionScale() const { return Info(attention_scale).value(*this); }

std::string ArchConfig::KindName(Kind k) { return Info(k).name; }

std::string ArchConfig::KindDisplayName(Kind k) { return Info(k).display; }

std::vector<std::string> ArchConfig::KindNames() {
  std::vector<std::string> names;
  for (const KindInfo& i : kKinds) names.push_back(i.name);
  return names;
}

std::optional<ArchConfig::Kind> ArchConfig::FindKind(const std::string& s) {
  for (const KindInfo& i : kKinds) {
    if (s == i.name) return i.kind;
  }
  return std::nullopt;
}

ArchConfig::Kind ArchConfig::ParseKind(const std::string& s) {
  if (const std::optional<Kind> k = FindKind(s)) return *k;
  Bad("arch", QuotedAlternatives(KindNames()), "\"" + s + "\"");
}

ArchConfig ArchConfig::Preset(const std::string& name, int classes) {
  ArchConfig c;
  c.arch = ParseKind(name);
  c.classes = classes;
  c.Validate();
  return c;
}

void to_json(nlohmann::json& j, const ArchConfig& c) {
  j = nlohmann::json{{"arch", c.Name()},
                     {"channels", c.channels},
                     {"bands", c.bands},
                     {"frames", c.frames},
                     {"filters", c.filters},
                     {"kernels", c.kernels},
                     {"pool", c.pool},
                     {"conv_dropout", c.conv_dropout},
                     {"batchnorm_eps", c.batchnorm_eps},
                     {"batchnorm_momentum", c.batchnorm_momentum},
                     {"hidden", c.hidden},
                     {"rnn_layers", c.rnn_layers},
                     {"rnn_dropout", c.rnn_dropout},
                     {"attention", c.attention},
                     {"attention_scale", ArchConfig::ScaleName(c.attention_scale)},
                     {"classes", c.classes}};
  if (c.NormalisesInput()) j["instance_norm"] = c.instance_norm;  // absent = 0: earlier bundles' bytes
}

namespace {
template <typename T>
void Get(const nlohmann::json& j, const char* key, T& out) {
  if (!j.is_object()) throw ConfigError("architecture config: expected a JSON object");
  auto it = j.find(key);
  if (it == j.end()) throw ConfigError(std::string("architecture config: missing field ") + key);
  try {
    out = JsonGet<T>(*it);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("architecture config: field ") + key + " has the wrong type (" + e.what() + ")");
  }
}
}  // namespace

void from_json(const nlohmann::json& j, ArchConfig& c) {
  ArchConfig r;
  std::string kind, scale;
  Get(j, "arch", kind);
  r.arch = ArchConfig::ParseKind(kind);
  Get(j, "channels", r.channels);
  Get(j, "bands", r.bands);
  Get(j, "frames", r.frames);
  Get(j, "filters", r.filters);
  Get(j, "kernels", r.kernels);
  Get(j, "pool", r.pool);
  Get(j, "conv_dropout", r.conv_dropout);
  Get(j, "batchnorm_eps", r.batchnorm_eps);
  Get(j, "batchnorm_momentum", r.batchnorm_momentum);
  Get(j, "hidden", r.hidden);
  Get(j, "rnn_layers", r.rnn_layers);
  Get(j, "rnn_dropout", r.rnn_dropout);
  Get(j, "attention", r.attention);
  Get(j, "attention_scale", scale);
  r.attention_scale = ArchConfig::ParseScale(scale);
  Get(j, "classes", r.classes);
  if (j.contains("instance_norm")) Get(j, "instance_norm", r.instance_norm);  // optional: 0 = off
  c = r;
}

std::vector<LayerInfo> DescribeLayers(const ArchConfig& c) {
  c.Validate();
  std::vector<LayerInfo> rows;
  int64_t ch = c.channels, m = c.bands, t = c.frames;
  rows.push_back({"input", "segments", {1, ch, m, t}, 0});
  if (c.NormalisesInput()) {
    rows.push_back({"input_norm", "relaxed instance frequency-wise normalisation, lambda " + Str(c.instance_norm),
                    {1, ch, m, t}, 0});
  }
  for (int i = 0; i < c.NumConvLayers(); ++i) {
    const int64_t k = c.kernels[i], f = c.filters[i];
    const std::string n = std::to_string(i + 1);
    rows.push_back({"conv.conv" + n,
                    "Conv2d " + std::to_string(ch) + "->" + std::to_string(f) + " " + std::to_string(k) + "x" +
                        std::to_string(k) + " SAME (pad " + std::to_string((k - 1) / 2) + "/" +
                        std::to_string(k - 1 - (k - 1) / 2) + "), ReLU",
                    {1, f, m, t},
                    ch * f * k * k + f,
                    ch * f * k * k * m * t});
    rows.push_back({"conv.bn" + n, "BatchNorm2d", {1, f, m, t}, 2 * f, f * m * t});
    m /= c.pool;
    rows.push_back({"conv.pool" + n,
                    "MaxPool " + std::to_string(c.pool) + "x1 (frequency), Dropout " + Str(c.conv_dropout),
                    {1, f, m, t},
                    0});
    ch = f;
  }
  if (c.IsAttCrnn()) {
    const int64_t feat = ch * m, h = c.hidden, a = c.attention;
    rows.push_back({"reshape", "to T vectors of size F", {1, t, feat}, 0});
    int64_t in = feat;
    for (int l = 0; l < c.rnn_layers; ++l) {
      const int64_t per_dir = 3 * h * (in + h) + 6 * h;
      rows.push_back({"gru" + std::to_string(l + 1),
                      "Dropout " + Str(c.rnn_dropout) + ", bidirectional GRU " + std::to_string(in) + "->2x" +
                          std::to_string(h),
                      {1, t, 2 * h},
                      2 * per_dir,
                      2 * t * 3 * h * (in + h)});
      in = 2 * h;
    }
    rows.push_back({"dropout", "Dropout " + Str(c.rnn_dropout), {1, t, 2 * h}, 0});
    rows.push_back({"proj", "Linear 2H->2H: Z = W[h_f, h_b] + b", {1, t, 2 * h}, 2 * h * 2 * h + 2 * h, t * 2 * h * 2 * h});
    rows.push_back({"temporal_w, _v",
                    "a_tem = softmax_t(v_t' tanh(W_t z_t + b_t)), W_t 2H->" + std::to_string(a),
                    {1, t},
                    2 * h * a + a + a,
                    t * (2 * h * a + a)});
    rows.push_back({"spatial_w, _v",
                    "a_spa = softmax_s(v_s' tanh(W_s z~_s + b_s)), W_s T->" + std::to_string(a),
                    {1, 2 * h},
                    t * a + a + a,
                    2 * h * (t * a + a)});
    rows.push_back({"attention_pool",
                    "x_s = sum_t tanh(" + ScaleFactorText(c.attention_scale) + "a_spa_s a_tem_t Z_st)",
                    {1, 2 * h},
                    c.LearnsAttentionScale() ? 1 : 0,
                    2 * h * t});
    rows.push_back({"classifier", "Linear 2H->C (logits)", {1, c.classes}, 2 * h * c.classes + c.classes, 2 * h * c.classes});
  } else {
    rows.push_back({"global_max", "max over frequency and time", {1, ch}, 0});
    rows.push_back({"classifier", "Linear " + std::to_string(ch) + "->C (logits)", {1, c.classes},
                    ch * c.classes + c.classes,
                    ch * c.classes});
  }
  return rows;
}

int64_t CountMacs(const ArchConfig& c) {
  int64_t n = 0;
  for (const auto& r : DescribeLayers(c)) n += r.macs;
  return n;
}

int64_t CountParameters(const ArchConfig& c) {
  int64_t n = 0;
  for (const auto& r : DescribeLayers(c)) n += r.parameters;
  return n;
}

std::string FormatArchitecture(const ArchConfig& c) {
  const auto rows = DescribeLayers(c);
  std::ostringstream os;
  os << std::left << std::setw(20) << "layer" << std::setw(22) << "output shape" << std::right << std::setw(10)
     << "params" << std::setw(12) << "MACs" << "  description\n";
  int64_t total = 0, macs = 0;
  for (const auto& r : rows) {
    os << std::left << std::setw(20) << r.name << std::setw(22) << ShapeString(r.out_shape) << std::right
       << std::setw(10) << r.parameters << std::setw(12) << r.macs << "  " << r.description << "\n";
    total += r.parameters;
    macs += r.macs;
  }
  os << "parameters: " << total << "\n"
     << "MACs per segment: " << macs << "\n";
  return os.str();
}

}  // namespace ascnet
