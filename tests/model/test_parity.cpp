// Parity with the PyTorch peer (bench/peers/ascnet_peer.py): the same weights and input
// must give the same logits, pooled features and attention vectors to 1e-4 relative.
// Skipped when Debian's /usr/bin/python3 cannot import torch and numpy.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ascnet/model/export.h"
#include "ascnet/model/networks.h"
#include "common/cli_runner.h"
#include "test_util.h"

namespace ascnet {
namespace {

bool PeerAvailable() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0;
  return ok;
}

// Exit code and output (stdout, then stderr) of the Python peer.
std::pair<int, std::string> RunPeer(const std::string& args) {
  const test::CliResult r =
      test::RunCommand(std::string("/usr/bin/python3 \"") + ASCNET_SOURCE_DIR + "/bench/peers/ascnet_peer.py\" " + args);
  return {r.code, r.out + r.err};
}

void CheckParity(ArchConfig arch) {
  testing::TempDir dir;
  torch::manual_seed(42);
  auto net = MakeNetwork(arch);
  {
    torch::NoGradGuard ng;
    net->train();  // give batch norm non-trivial running statistics
    for (int i = 0; i < 3; ++i) net->forward(torch::randn({16, arch.channels, arch.bands, arch.frames}) * 1.5 + 0.3);
  }
  net->eval();
  const auto x = torch::randn({5, arch.channels, arch.bands, arch.frames});
  NetOutput out;
  {
    torch::NoGradGuard ng;
    out = net->forward(x);
  }
  ExportWeightsNpy(*net, dir.path().string());
  WriteTensorNpy(dir.File("input.npy"), x);
  WriteTensorNpy(dir.File("logits.npy"), out.logits);
  WriteTensorNpy(dir.File("pooled.npy"), out.pooled);
  if (out.a_spa.defined()) {
    WriteTensorNpy(dir.File("a_spa.npy"), out.a_spa);
    WriteTensorNpy(dir.File("a_tem.npy"), out.a_tem);
  }
  const auto [code, text] = RunPeer("parity \"" + dir.path().string() + "\"");
  EXPECT_EQ(code, 0) << text;
  EXPECT_NE(text.find("\"match\": true"), std::string::npos) << text;
  EXPECT_NE(text.find("\"logits_rel_err\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"parameters\": " + std::to_string(net->NumParameters())), std::string::npos) << text;
  std::cout << "peer: " << text;
  // The check has teeth: logits off by 0.1 % must be reported as a mismatch.
  WriteTensorNpy(dir.File("logits.npy"), out.logits * 1.001 + 1e-3);
  const auto [bad_code, bad_text] = RunPeer("parity \"" + dir.path().string() + "\"");
  EXPECT_EQ(bad_code, 1) << bad_text;
  EXPECT_NE(bad_text.find("\"match\": false"), std::string::npos) << bad_text;
}

TEST(PeerParity, AttCrnn) {
  if (!PeerAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  CheckParity(ArchConfig::Preset("attcrnn", 19));
}

TEST(PeerParity, AttCrnnMeanOneScale) {
  if (!PeerAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  ArchConfig a = ArchConfig::Preset("attcrnn", 19);
  a.attention_scale = ArchConfig::AttentionScale::kMean1;
  CheckParity(a);
}

TEST(PeerParity, AttCrnnRowOneScale) {
  if (!PeerAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  ArchConfig a = ArchConfig::Preset("attcrnn", 19);
  a.attention_scale = ArchConfig::AttentionScale::kRow1;
  CheckParity(a);
}

TEST(PeerParity, Cnn) {
  if (!PeerAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  CheckParity(ArchConfig::Preset("cnn", 19));
}

TEST(PeerParity, OtherSizes) {
  if (!PeerAvailable()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  ArchConfig a = ArchConfig::Preset("attcrnn", 7);
  a.bands = 128;
  a.frames = 40;
  a.filters = {8, 16, 24};
  a.kernels = {3, 4, 2};
  a.hidden = 16;
  a.rnn_layers = 3;
  a.attention = 8;
  CheckParity(a);
}

}  // namespace
}  // namespace ascnet
