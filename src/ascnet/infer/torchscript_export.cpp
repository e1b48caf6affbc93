#include "ascnet/infer/torchscript_export.h"

#include <iomanip>
#include <map>
#include <sstream>

#include <torch/script.h>

#include "ascnet/calibration/calibrator.h"
#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"

namespace ascnet {
namespace {

std::string AttrName(const std::string& dotted) {
  std::string s = dotted;
  for (char& c : s) c = (c == '.') ? '_' : c;
  return s;
}

std::string Num(double v) {
  std::ostringstream os;
  os << std::setprecision(17) << v;
  std::string s = os.str();
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // a float literal
  return s;
}

ScoreKind Resolve(const ModelBundle& b, ScoreKind scorer) {
  if (scorer == ScoreKind::kAuto) return b.HasCalibration() ? ScoreKind::kSvm : ScoreKind::kSoftmax;
  if (scorer == ScoreKind::kSvm && !b.HasCalibration()) {
    throw ConfigError("export: the model bundle has no calibration (SVM); use the softmax scorer");
  }
  return scorer;
}

/// The module's attribute for tensor `name`, or "None" if the network has no such tensor.
std::string Attr(const std::map<std::string, torch::Tensor>& tensors, const std::string& name) {
  return tensors.count(name) ? "self." + AttrName(name) : "None";
}

}  // namespace

namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

/// RelaxedInstanceNorm (networks.h), the same ops in the same order; h = x when off.
void InputNormSource(std::ostream& s, const ArchConfig& a) {
  s << "    h = x\n";
  if (!a.NormalisesInput()) return;
  const std::string eps = Num(a.batchnorm_eps);
  s << "    v, m = torch.var_mean(x, [3], False, True)\n";
  s << "    h = (x - m) * torch.rsqrt(v + " << eps << ")\n";
  if (a.instance_norm < 1) {
    s << "    v, m = torch.var_mean(x, [2, 3], False, True)\n";
    s << "    h = h * " << Num(a.instance_norm) << " + ((x - m) * torch.rsqrt(v + " << eps << ")) * "
      << Num(1 - a.instance_norm) << "\n";
  }
}

/// The conv block: SAME padding (explicit asymmetric padding for even kernels, exactly as
/// ConvBlockImpl), ReLU, batch norm, max pooling over frequency.
void ConvBlockSource(std::ostream& s, const ArchConfig& a, const TensorMap& tensors) {
  for (int i = 0; i < a.NumConvLayers(); ++i) {
    const int k = a.kernels[i];
    const int before = (k - 1) / 2, after = k - 1 - before;
    const std::string n = std::to_string(i + 1);
    const std::string conv = "conv.conv" + n, bn = "conv.bn" + n;
    int pad = before;
    if (before != after) {
      s << "    h = torch.constant_pad_nd(h, [" << before << ", " << after << ", " << before << ", " << after
        << "], 0.0)\n";
      pad = 0;
    }
    s << "    h = torch.conv2d(h, " << Attr(tensors, conv + ".weight") << ", " << Attr(tensors, conv + ".bias")
      << ", [1, 1], [" << pad << ", " << pad << "])\n";
    s << "    h = torch.relu(h)\n";
    s << "    h = torch.batch_norm(h, " << Attr(tensors, bn + ".weight") << ", " << Attr(tensors, bn + ".bias") << ", "
      << Attr(tensors, bn + ".running_mean") << ", " << Attr(tensors, bn + ".running_var") << ", False, "
      << Num(a.batchnorm_momentum) << ", " << Num(a.batchnorm_eps) << ", False)\n";
    s << "    h = torch.max_pool2d(h, [" << a.pool << ", 1], [" << a.pool << ", 1])\n";
  }
}

/// The CNN's head: global max over frequency and time, linear classifier.
void CnnHeadSource(std::ostream& s) {
  s << "    pooled = torch.amax(h, [2, 3])\n";
  s << "    logits = torch.linear(pooled, self.classifier_weight, self.classifier_bias)\n";
  s << "    return logits, pooled, torch.empty([0]), torch.empty([0])\n";
}

/// The Att-CRNN's head: bidirectional GRU stack, projection, spatio-temporal attention pooling.
void AttCrnnHeadSource(std::ostream& s, const ArchConfig& a, const TensorMap& tensors) {
  s << "    b = h.size(0)\n";
  s << "    t = h.size(3)\n";
  s << "    seq = h.permute([0, 3, 1, 2]).reshape([b, t, -1])\n";
  for (int l = 0; l < a.rnn_layers; ++l) {
    const std::string g = "gru" + std::to_string(l + 1) + ".";
    std::string params;
    for (const char* suffix : {"", "_reverse"}) {
      for (const char* w : {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}) {
        if (!params.empty()) params += ", ";
        params += Attr(tensors, g + w + suffix);
      }
    }
    s << "    hx = seq.new_zeros([2, b, " << a.hidden << "])\n";
    s << "    seq = torch.gru(seq, hx, [" << params << "], True, 1, 0.0, False, True, True)[0]\n";
  }
  s << "    z = torch.linear(seq, self.proj_weight, self.proj_bias)\n";
  s << "    e_tem = torch.linear(torch.tanh(torch.linear(z, self.temporal_w_weight, self.temporal_w_bias)), "
       "self.temporal_v_weight, None).squeeze(-1)\n";
  s << "    a_tem = torch.softmax(e_tem, 1)\n";
  s << "    zs = z.transpose(1, 2)\n";
  s << "    e_spa = torch.linear(torch.tanh(torch.linear(zs, self.spatial_w_weight, self.spatial_w_bias)), "
       "self.spatial_v_weight, None).squeeze(-1)\n";
  s << "    a_spa = torch.softmax(e_spa, 1)\n";
  s << "    att = a_spa.unsqueeze(2) * a_tem.unsqueeze(1)\n";
  if (a.LearnsAttentionScale()) {
    s << "    att = att * self.attention_scale\n";
  } else if (a.FixedAttentionScale() != 1.0) {
    s << "    att = att * " << Num(a.FixedAttentionScale()) << "\n";
  }
  s << "    pooled = torch.tanh(att * zs).sum(2)\n";
  s << "    logits = torch.linear(pooled, self.classifier_weight, self.classifier_bias)\n";
  s << "    return logits, pooled, a_spa, a_tem\n";
}

/// Calibrator::Predict in float64: min-max scaling (constant columns -> 0), OvR SVM, LIBSVM's
/// overflow-free sigmoid per class, renormalised (uniform if all are 0).
void SvmSource(std::ostream& s, const Calibrator& c) {
  s << "def svm(self, x: Tensor) -> Tensor:\n";
  s << "    pooled = self.forward_all(x)[1].double()\n";
  s << "    scaled = torch.where(self.svm_varying, -1.0 + 2.0 * (pooled - self.svm_min) / self.svm_range, "
       "torch.zeros_like(pooled))\n";
  if (c.scaler().clip()) s << "    scaled = torch.clamp(scaled, -1.0, 1.0)\n";
  s << "    d = torch.matmul(scaled, self.svm_weight.t()) + self.svm_intercept\n";
  s << "    f = d * self.platt_a + self.platt_b\n";
  s << "    q = torch.where(f >= 0, torch.exp(-f) / (1.0 + torch.exp(-f)), 1.0 / (1.0 + torch.exp(f)))\n";
  s << "    total = q.sum(1, keepdim=True)\n";
  s << "    p = torch.where(total > 0, q / total, torch.full_like(q, 1.0 / q.size(1)))\n";
  s << "    return p.float()\n\n";
}

}  // namespace

std::string TorchScriptSource(const ModelBundle& bundle, ScoreKind scorer) {
  const ArchConfig& a = bundle.arch;
  scorer = Resolve(bundle, scorer);
  TensorMap tensors;
  for (const auto& [name, t] : NamedTensors(*bundle.net)) tensors[name] = t;

  std::ostringstream s;
  s << "def forward_all(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:\n";
  InputNormSource(s, a);
  ConvBlockSource(s, a, tensors);
  if (a.IsAttCrnn()) {
    AttCrnnHeadSource(s, a, tensors);
  } else {
    CnnHeadSource(s);
  }
  s << "\n";
  s << "def network(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n";
  s << "    out = self.forward_all(x)\n";
  s << "    return out[0], out[1]\n\n";
  if (a.IsAttCrnn()) {
    s << "def attention(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n";
    s << "    out = self.forward_all(x)\n";
    s << "    return out[2], out[3]\n\n";
  }
  s << "def softmax(self, x: Tensor) -> Tensor:\n";
  s << "    return torch.softmax(self.forward_all(x)[0], 1)\n\n";
  s << "def normalise(self, raw: Tensor) -> Tensor:\n";
  s << "    return (raw - self.norm_mean) / self.norm_std\n\n";
  if (bundle.HasCalibration()) SvmSource(s, bundle.calibration.get<Calibrator>());
  s << "def forward(self, x: Tensor) -> Tensor:\n";
  s << "    return self." << (scorer == ScoreKind::kSvm ? "svm" : "softmax") << "(x)\n";
  return s.str();
}

torch::jit::Module BuildTorchScript(const ModelBundle& bundle, ScoreKind scorer) {
  bundle.Validate();
  const ScoreKind kind = Resolve(bundle, scorer);
  torch::jit::Module m(c10::QualifiedName("__torch__.ascnet." + std::string(bundle.arch.IsAttCrnn() ? "AttCrnn" : "Cnn")));
  m.register_attribute("training", c10::BoolType::get(), false);
  const auto params = bundle.net->named_parameters(true);
  for (const auto& p : params) m.register_parameter(AttrName(p.key()), p.value().detach().to(torch::kCPU).clone(), false);
  for (const auto& b : bundle.net->named_buffers(true)) {
    m.register_buffer(AttrName(b.key()), b.value().detach().to(torch::kCPU).clone());
  }
  const Normalisation& n = bundle.normalisation;
  const auto shape = std::vector<int64_t>{1, n.channels, n.bands, 1};
  m.register_buffer("norm_mean", torch::tensor(n.mean, torch::kFloat).reshape(shape));
  m.register_buffer("norm_std", torch::tensor(n.std, torch::kFloat).reshape(shape));
  if (bundle.HasCalibration()) {
    const Calibrator c = bundle.calibration.get<Calibrator>();
    const auto& mn = c.scaler().min();
    const auto& mx = c.scaler().max();
    std::vector<double> range(mn.size());
    std::vector<uint8_t> varying(mn.size());
    for (size_t j = 0; j < mn.size(); ++j) {
      varying[j] = mx[j] - mn[j] > 0;
      range[j] = varying[j] ? mx[j] - mn[j] : 1.0;
    }
    const auto dbl = torch::TensorOptions().dtype(torch::kDouble);
    m.register_buffer("svm_min", torch::tensor(mn, dbl));
    m.register_buffer("svm_range", torch::tensor(range, dbl));
    m.register_buffer("svm_varying", torch::tensor(std::vector<int64_t>(varying.begin(), varying.end())).to(torch::kBool));
    const DoubleMatrix& w = c.svm().weights();
    m.register_buffer("svm_weight", torch::tensor(w.data, dbl).reshape({w.rows, w.cols}));
    m.register_buffer("svm_intercept", torch::tensor(c.svm().intercepts(), dbl));
    std::vector<double> pa, pb;
    for (const PlattParams& p : c.platt()) {
      pa.push_back(p.A);
      pb.push_back(p.B);
    }
    m.register_buffer("platt_a", torch::tensor(pa, dbl));
    m.register_buffer("platt_b", torch::tensor(pb, dbl));
  }
  c10::List<std::string> labels;
  for (const auto& l : bundle.labels) labels.push_back(l);
  m.register_attribute("labels", c10::ListType::create(c10::StringType::get()), labels);
  m.register_attribute("scorer", c10::StringType::get(), ScoreKindName(kind));
  try {
    m.define(TorchScriptSource(bundle, kind));
  } catch (const c10::Error& e) {
    throw FormatError("export: the generated TorchScript does not compile (a bug; please report it): " +
                      std::string(e.what_without_backtrace()));
  }
  m.eval();
  return m;
}

void ExportTorchScript(const ModelBundle& bundle, const std::string& path, ScoreKind scorer) {
  torch::jit::Module m = BuildTorchScript(bundle, scorer);
  nlohmann::json info;
  info["format"] = "ascnet.torchscript";
  info["version"] = 1;
  info["arch"] = bundle.arch;
  info["features"] = bundle.features;
  info["labels"] = bundle.labels;
  info["normalisation"] = {{"channels", bundle.normalisation.channels},
                           {"bands", bundle.normalisation.bands},
                           {"mean", bundle.normalisation.mean},
                           {"std", bundle.normalisation.std}};
  info["scorer"] = ScoreKindName(Resolve(bundle, scorer));
  info["input"] = "normalised segments [B, " + std::to_string(bundle.arch.channels) + ", " +
                  std::to_string(bundle.arch.bands) + ", " + std::to_string(bundle.arch.frames) + "] float32";
  info["output"] = "probabilities [B, " + std::to_string(bundle.arch.classes) + "] float32";
  info["windows"] =
      "the caller cuts each recording's feature image into windows of features.segment.frames frames every "
      "features.segment.hop frames (plus, when features.segment.cover_end, one window aligned to the end if the "
      "grid stops short of it; a recording shorter than one window is zero-padded) and decides by argmax_c of "
      "sum over windows of log max(p(c|window), 1e-7)";
  torch::jit::ExtraFilesMap extra{{"ascnet.json", info.dump(2)}};
  std::ostringstream bytes;
  try {
    m.save(bytes, extra);
  } catch (const c10::Error& e) {
    throw IoError(WithPath(path, std::string("cannot serialise the TorchScript module: ") + e.what_without_backtrace()));
  }
  const std::string image = bytes.str();
  WriteBytesAtomically(path, image);
}

}  // namespace ascnet
