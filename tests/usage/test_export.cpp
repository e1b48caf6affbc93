// TorchScript export: the saved module, loaded in C++ and in Python (Debian python3-torch),
// gives the same probabilities as ascnet (softmax and calibrated SVM), for both networks.
#include <gtest/gtest.h>

#include <torch/script.h>
#include <torch/script.h>

#include <cstdlib>
#include <fstream>

#include "ascnet/core/npy.h"
#include "ascnet/infer/recognizer.h"
#include "ascnet/infer/torchscript_export.h"
#include "ascnet/model/classifier.h"
#include "common/cli_runner.h"
#include "infer/infer_fixtures.h"

using namespace ascnet;
using namespace ascnet::test;

namespace {

bool PythonTorchAvailable() {
  return std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0;
}

torch::Tensor RandomSegments(const ArchConfig& a, int64_t n) {
  torch::manual_seed(11);
  return torch::randn({n, a.channels, a.bands, a.frames}) * 4 - 8;  // raw features, around the bundle's mean
}

class ExportTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportTest, CppAndPythonMatchAscnet) {
  // "arch", "arch-scale" (an Att-CRNN attention scale, e.g. attcrnn-row1) or "arch-rfnL" (the
  // relaxed instance frequency-wise input normalisation with lambda = L / 10, e.g. cnn-rfn5).
  const std::string param = GetParam();
  const std::string arch = param.substr(0, param.find('-'));
  const std::string rest = param.find('-') == std::string::npos ? "" : param.substr(param.find('-') + 1);
  const bool rfn = rest.rfind("rfn", 0) == 0;
  const ArchConfig::AttentionScale scale =
      rest.empty() || rfn ? ArchConfig::AttentionScale::kNone : ArchConfig::ParseScale(rest);
  const double instance_norm = rfn ? std::stoi(rest.substr(3)) / 10.0 : 0.0;
  const auto dir = TempDir("export_" + param);
  const ModelBundle bundle = SmallBundle(arch, true, scale, instance_norm);
  const std::string model = (dir / "m.ascnet").string();
  SaveBundle(model, bundle);

  // ascnet's own outputs on normalised segments.
  Recognizer rec = Recognizer::Load(model, torch::kCPU, ScoreKind::kSvm);
  Classifier cls = Classifier::Load(model);
  const torch::Tensor raw = RandomSegments(bundle.arch, 5);
  const torch::Tensor x = cls.Normalise(raw).contiguous();
  const NetOutput ref = cls.Forward(raw);
  const torch::Tensor ref_softmax = torch::softmax(ref.logits, 1);
  const torch::Tensor raw_c = raw.contiguous();
  const DoubleMatrix svm = rec.Posteriors(raw_c.data_ptr<float>(), raw.size(0));
  const torch::Tensor ref_svm = torch::from_blob(const_cast<double*>(svm.data.data()), {svm.rows, svm.cols}, torch::kDouble)
                                    .to(torch::kFloat).clone();

  // Through the CLI (forward = svm for a calibrated bundle) and back in C++.
  const std::string pt = (dir / "m.pt").string();
  CliResult r = RunCli("export --model " + model + " --torchscript " + pt);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("forward() = svm"), std::string::npos) << r.err;
  torch::jit::Module m = torch::jit::load(pt);
  torch::NoGradGuard ng;
  const torch::Tensor p = m.forward({x}).toTensor();
  EXPECT_TRUE(torch::allclose(p, ref_svm, 0, 1e-5)) << (p - ref_svm).abs().max();
  const torch::Tensor ps = m.run_method("softmax", x).toTensor();
  EXPECT_TRUE(torch::allclose(ps, ref_softmax, 0, 1e-5)) << (ps - ref_softmax).abs().max();
  const auto net = m.run_method("network", x).toTuple();
  EXPECT_TRUE(torch::allclose(net->elements()[0].toTensor(), ref.logits, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(net->elements()[1].toTensor(), ref.pooled, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(m.run_method("normalise", raw).toTensor(), x, 1e-6, 1e-6));
  if (bundle.arch.IsAttCrnn()) {
    const auto att = m.run_method("attention", x).toTuple();
    EXPECT_TRUE(torch::allclose(att->elements()[0].toTensor(), ref.a_spa, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(att->elements()[1].toTensor(), ref.a_tem, 1e-5, 1e-6));
  }
  auto labels = m.attr("labels").toList();
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels.get(2).toStringRef(), "high");

  // --scorer softmax: forward() is the network's softmax.
  const std::string pt_soft = (dir / "m_soft.pt").string();
  r = RunCli("export --model " + model + " --scorer softmax --torchscript " + pt_soft);
  ASSERT_EQ(r.code, 0) << r.err;
  torch::jit::Module ms = torch::jit::load(pt_soft);
  EXPECT_TRUE(torch::allclose(ms.forward({x}).toTensor(), ref_softmax, 0, 1e-5));

  // Python: torch.jit.load and compare on the saved input.
  if (!PythonTorchAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch (Debian python3-torch)";
  const torch::Tensor xc = x.contiguous();
  WriteNpy((dir / "x.npy").string(), xc.data_ptr<float>(), xc.sizes().vec());
  const torch::Tensor rs = ref_svm.contiguous(), rm = ref_softmax.contiguous();
  WriteNpy((dir / "svm.npy").string(), rs.data_ptr<float>(), rs.sizes().vec());
  WriteNpy((dir / "softmax.npy").string(), rm.data_ptr<float>(), rm.sizes().vec());
  const std::string script = (dir / "check.py").string();
  std::ofstream(script) << R"PY(
import json, sys
import numpy as np, torch
d = sys.argv[1]
extra = {"ascnet.json": ""}
m = torch.jit.load(d + "/m.pt", _extra_files=extra)
m.eval()
info = json.loads(extra["ascnet.json"])
x = torch.from_numpy(np.load(d + "/x.npy"))
with torch.no_grad():
    p = m(x).numpy()
    s = m.softmax(x).numpy()
e1 = float(np.abs(p - np.load(d + "/svm.npy")).max())
e2 = float(np.abs(s - np.load(d + "/softmax.npy")).max())
print(json.dumps({"svm_err": e1, "softmax_err": e2, "labels": list(m.labels), "scorer": info["scorer"]}))
sys.exit(0 if e1 <= 1e-5 and e2 <= 1e-5 and info["labels"] == ["low", "mid", "high"] else 1)
)PY";
  const std::string out = (dir / "py.txt").string();
  const int rc = std::system(("/usr/bin/python3 " + script + " " + dir.string() + " >" + out + " 2>&1").c_str());
  EXPECT_EQ(rc, 0) << Slurp(out);
  EXPECT_NE(Slurp(out).find("\"scorer\": \"svm\""), std::string::npos) << Slurp(out);
}

INSTANTIATE_TEST_SUITE_P(Archs, ExportTest, ::testing::Values("attcrnn", "cnn", "attcrnn-mean1", "attcrnn-row1",
                                                            "attcrnn-learned", "attcrnn-rfn5", "cnn-rfn5",
                                                            "cnn-rfn10"));

TEST(ExportCli, BadInputs) {
  const auto dir = TempDir("export_bad");
  const std::string model = (dir / "m.ascnet").string();
  SaveBundle(model, SmallBundle("cnn", false));
  // --scorer svm needs a calibrated bundle.
  CliResult r = RunCli("export --model " + model + " --scorer svm --torchscript " + (dir / "x.pt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no calibration"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.pt"));
  // Not a bundle.
  const std::string text = (dir / "notes.txt").string();
  { std::ofstream(text) << "not a bundle"; }
  r = RunCli("export --model " + text + " --torchscript " + (dir / "y.pt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
  // Missing file; unwritable output.
  r = RunCli("export --model " + (dir / "missing.ascnet").string() + " --torchscript " + (dir / "z.pt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.ascnet"), std::string::npos) << r.err;
  r = RunCli("export --model " + model + " --torchscript " + (dir / "no/such/dir/z.pt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("z.pt"), std::string::npos) << r.err;
}

}  // namespace
