// Model bundles: exact round trip, the Classifier facade, and every kind of damaged or
// inconsistent file giving a BundleError that names the part.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/model/bundle.h"
#include "ascnet/model/classifier.h"
#include "test_util.h"

namespace ascnet {
namespace {

using nlohmann::json;

/// A bundle with random weights, non-trivial batch-norm statistics and normalisation.
ModelBundle TestBundle(const std::string& arch, uint64_t seed = 7) {
  torch::manual_seed(seed);
  FeatureConfig features;
  std::vector<std::string> labels;
  for (int c = 0; c < 19; ++c) labels.push_back("scene_" + std::to_string(c));
  ModelBundle b = MakeBundle(ArchConfig::Preset(arch, 19), features, labels);
  {
    // A few training-mode passes move the running statistics away from 0/1.
    torch::NoGradGuard ng;
    b.net->train();
    for (int i = 0; i < 3; ++i) b.net->forward(torch::randn({8, 2, 64, 80}) * 2 + 0.5);
    b.net->eval();
  }
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (auto& m : b.normalisation.mean) m = nd(rng);
  for (auto& s : b.normalisation.std) s = 0.5f + std::abs(nd(rng));
  b.calibration = json{{"svm", {{"weights", {1.5, -2.25}}}}, {"platt", {{"A", -1.0}, {"B", 0.1}}}};
  b.metadata = json{{"seed", seed}, {"note", "test"}};
  return b;
}

// ---- container surgery: split an encoded bundle and rebuild it with fresh CRCs --------

struct Parts {
  std::string head;  // JSON text
  std::string tens;  // raw tensor bytes
};

uint64_t ReadLe(const std::string& s, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(s[pos + i])) << (8 * i);
  return v;
}

Parts Split(const std::string& bytes) {
  Parts p;
  size_t pos = 16;
  const uint64_t hl = ReadLe(bytes, pos + 4, 8);
  p.head = bytes.substr(pos + 16, hl);
  pos += 16 + hl;
  const uint64_t tl = ReadLe(bytes, pos + 4, 8);
  p.tens = bytes.substr(pos + 16, tl);
  return p;
}

void PutLe(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string Join(const Parts& p, uint32_t version = kBundleVersion) {
  std::string out = "ASCNETB1";
  PutLe(out, version, 4);
  PutLe(out, 2, 4);
  for (const auto& [tag, payload] : {std::pair<std::string, const std::string*>{"HEAD", &p.head}, {"TENS", &p.tens}}) {
    out += tag;
    PutLe(out, payload->size(), 8);
    PutLe(out, crc32(0, reinterpret_cast<const Bytef*>(payload->data()), payload->size()), 4);
    out += *payload;
  }
  return out;
}

/// Encodes `b`, applies `edit` to the JSON header (and optionally the tensor bytes), rebuilds.
std::string EditHeader(const ModelBundle& b, const std::function<void(json&)>& edit) {
  Parts p = Split(EncodeBundle(b));
  json h = json::parse(p.head);
  edit(h);
  p.head = h.dump();
  return Join(p);
}

/// Expects DecodeBundle to throw BundleError whose message contains every fragment.
void ExpectBundleError(const std::string& bytes, const std::vector<std::string>& fragments) {
  try {
    DecodeBundle(bytes, "model.ascnet");
    ADD_FAILURE() << "no error; expected " << fragments.front();
  } catch (const BundleError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("model.ascnet: ", 0), 0u) << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "missing '" << f << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

class BundleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BundleTest, SaveLoadIsBitIdentical) {
  testing::TempDir dir;
  ModelBundle b = TestBundle(GetParam());
  const std::string path = dir.File("m.ascnet");
  SaveBundle(path, b);
  ModelBundle r = LoadBundle(path);
  EXPECT_EQ(json(r.arch), json(b.arch));
  EXPECT_EQ(json(r.features), json(b.features));
  EXPECT_EQ(r.labels, b.labels);
  EXPECT_EQ(r.normalisation.mean, b.normalisation.mean);
  EXPECT_EQ(r.normalisation.std, b.normalisation.std);
  EXPECT_EQ(r.calibration, b.calibration);
  EXPECT_EQ(r.metadata, b.metadata);
  auto a = NamedTensors(*b.net), c = NamedTensors(*r.net);
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, c[i].first);
    EXPECT_TRUE(torch::equal(a[i].second, c[i].second)) << a[i].first;
  }
  torch::NoGradGuard ng;
  auto x = torch::randn({6, 2, 64, 80});
  b.net->eval();
  auto o1 = b.net->forward(x), o2 = r.net->forward(x);
  EXPECT_TRUE(torch::equal(o1.logits, o2.logits));
  EXPECT_TRUE(torch::equal(o1.pooled, o2.pooled));
  // Saving the loaded bundle again gives the same bytes.
  EXPECT_EQ(EncodeBundle(r), EncodeBundle(b));
}

TEST_P(BundleTest, ClassifierNormalisesAndGivesPosteriors) {
  ModelBundle b = TestBundle(GetParam());
  Classifier clf(b);
  auto x = torch::randn({7, 2, 64, 80}) * 4;
  auto mean = torch::tensor(b.normalisation.mean).reshape({1, 2, 64, 1});
  auto stdv = torch::tensor(b.normalisation.std).reshape({1, 2, 64, 1});
  auto xn = clf.Normalise(x);
  EXPECT_TRUE(torch::allclose(xn, (x - mean) / stdv, 1e-5, 1e-5));
  NetOutput out = clf.Forward(x);
  torch::Tensor ref;
  {
    torch::NoGradGuard ng;
    ref = b.net->forward((x - mean) / stdv).logits;
  }
  EXPECT_TRUE(torch::allclose(out.logits, ref, 1e-4, 1e-5));
  auto p = clf.Posteriors(x);
  EXPECT_EQ(p.sizes().vec(), (std::vector<int64_t>{7, 19}));
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({7}), 1e-5, 1e-5));
  EXPECT_GE(p.min().item<float>(), 0.0f);
  clf.SetMaxBatch(3);  // chunked: same answers
  EXPECT_TRUE(torch::allclose(clf.Forward(x).logits, out.logits, 1e-4, 1e-5));
  EXPECT_THROW(clf.Forward(torch::randn({2, 2, 64, 40})), c10::Error);
}

INSTANTIATE_TEST_SUITE_P(Archs, BundleTest, ::testing::Values("attcrnn", "cnn"));

TEST(Bundle, CalibrationAbsentIsNull) {
  testing::TempDir dir;
  ModelBundle b = TestBundle("cnn");
  b.calibration = nullptr;
  SaveBundle(dir.File("m.ascnet"), b);
  BundleSummary s = InspectBundle(dir.File("m.ascnet"));
  EXPECT_TRUE(s.calibration.is_null());
  EXPECT_EQ(s.version, kBundleVersion);
  EXPECT_EQ(s.parameters, 214227);
  EXPECT_EQ(s.labels.size(), 19u);
}

TEST(Bundle, SaveRefusesInconsistentBundle) {
  ModelBundle b = TestBundle("cnn");
  b.labels.pop_back();
  EXPECT_THROW(EncodeBundle(b), BundleError);
  b = TestBundle("cnn");
  b.normalisation.std[3] = 0.0f;
  EXPECT_THROW(EncodeBundle(b), BundleError);
  b = TestBundle("cnn");
  b.features.filterbank.num_bands = 128;
  EXPECT_THROW(EncodeBundle(b), BundleError);
}

TEST(Bundle, MissingFileIsIoError) {
  EXPECT_THROW(LoadBundle("/nonexistent/dir/model.ascnet"), IoError);
}

// ---- container damage -----------------------------------------------------------------

TEST(BundleDamage, TruncatedAtEveryPart) {
  const std::string good = EncodeBundle(TestBundle("attcrnn"));
  const uint64_t hl = ReadLe(good, 20, 8);
  const size_t tens_start = 16 + 16 + hl;
  struct Case {
    size_t size;
    std::string part;
  };
  const std::vector<Case> cases = {
      {0, "magic: truncated"},
      {5, "magic: truncated"},
      {8, "version: truncated"},
      {14, "container: truncated"},
      {16, "section 1 (HEAD): truncated"},
      {22, "section 1 (HEAD): truncated"},
      {32 + hl / 2, "section 1 (HEAD): truncated"},
      {tens_start, "section 2 (TENS): truncated"},
      {tens_start + 10, "section 2 (TENS): truncated"},
      {tens_start + 16 + 1000, "section 2 (TENS): truncated"},
      {good.size() - 1, "section 2 (TENS): truncated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("truncated to " + std::to_string(c.size) + " bytes");
    ExpectBundleError(good.substr(0, c.size), {c.part});
  }
}

TEST(BundleDamage, FlippedByteInEachSection) {
  const std::string good = EncodeBundle(TestBundle("attcrnn"));
  const uint64_t hl = ReadLe(good, 20, 8);
  const size_t tens_start = 16 + 16 + hl;
  auto flip = [&](size_t pos) {
    std::string s = good;
    s[pos] = static_cast<char>(s[pos] ^ 0x10);
    return s;
  };
  ExpectBundleError(flip(32 + 3), {"section 1 (HEAD): CRC-32 mismatch", "corrupted"});
  ExpectBundleError(flip(32 + hl - 2), {"section 1 (HEAD): CRC-32 mismatch"});
  ExpectBundleError(flip(tens_start + 16 + 5), {"section 2 (TENS): CRC-32 mismatch"});
  ExpectBundleError(flip(good.size() - 1), {"section 2 (TENS): CRC-32 mismatch"});
  ExpectBundleError(flip(28), {"section 1 (HEAD): CRC-32 mismatch"});               // stored CRC itself
  ExpectBundleError(flip(16), {"section 1 (HEAD): tag is", "expected \"HEAD\""});  // tag
  ExpectBundleError(flip(tens_start), {"section 2 (TENS): tag is"});
  ExpectBundleError(flip(20 + 7), {"section 1 (HEAD): truncated"});  // length's high byte
}

TEST(BundleDamage, EveryRandomByteFlipIsDetected) {
  const std::string good = EncodeBundle(TestBundle("cnn"));
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  for (int i = 0; i < 150; ++i) {
    std::string s = good;
    const size_t p = pos(rng);
    s[p] = static_cast<char>(s[p] ^ (1 << bit(rng)));
    EXPECT_THROW(DecodeBundle(s, "x"), BundleError) << "flip at byte " << p;
  }
  for (size_t n = 0; n < good.size(); n += good.size() / 97 + 1) {
    EXPECT_THROW(DecodeBundle(good.substr(0, n), "x"), BundleError) << "truncated to " << n;
  }
}

TEST(BundleDamage, WrongMagicVersionCountTrailing) {
  const std::string good = EncodeBundle(TestBundle("cnn"));
  std::string s = good;
  s.replace(0, 8, "RIFF\0\0\0\0", 8);
  ExpectBundleError(s, {"magic: found \"RIFF", "expected \"ASCNETB1\"", "not an ascnet model bundle"});
  s = good;
  s[8] = 2;
  ExpectBundleError(s, {"version: unsupported format version 2", "reads version 1"});
  s = good;
  s[12] = 3;
  ExpectBundleError(s, {"container: section count is 3, expected 2"});
  ExpectBundleError(good + "xyz", {"container: 3 unexpected bytes after the last section"});
  ExpectBundleError(Join(Split(good), 7), {"version: unsupported format version 7"});
  ExpectBundleError(std::string("not a bundle at all, just text"), {"magic: found"});
}

// ---- header damage (valid CRCs) -------------------------------------------------------

TEST(BundleDamage, InvalidJsonAndMissingFields) {
  const ModelBundle b = TestBundle("attcrnn");
  Parts p = Split(EncodeBundle(b));
  p.head = p.head.substr(0, p.head.size() / 2);
  ExpectBundleError(Join(p), {"header: invalid JSON"});
  p.head = "[1, 2]";
  ExpectBundleError(Join(p), {"header: expected a JSON object"});
  for (const char* key : {"format", "arch", "features", "labels", "normalisation", "calibration", "tensors"}) {
    ExpectBundleError(EditHeader(b, [&](json& h) { h.erase(key); }),
                      {std::string("header: missing field \"") + key + "\""});
  }
  ExpectBundleError(EditHeader(b, [](json& h) { h["format"] = "other"; }), {"header: format is \"other\""});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"].erase("hidden"); }), {"header.arch:", "hidden"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["filters"] = "wide"; }), {"header.arch:", "filters"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["bands"] = 60; }), {"header.arch:", "bands"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["features"]["frame"].erase("fft_size"); }),
                    {"header.features:", "fft_size"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["normalisation"].erase("std"); }),
                    {"header.normalisation: missing field \"std\""});
  ExpectBundleError(EditHeader(b, [](json& h) { h["labels"] = 5; }), {"header: field \"labels\" has the wrong type"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["calibration"] = "yes"; }), {"header.calibration: expected"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"][0].erase("shape"); }),
                    {"tensor conv.conv1.weight: missing field \"shape\""});
}

TEST(BundleDamage, LabelsAndNormalisationMismatch) {
  const ModelBundle b = TestBundle("attcrnn");
  ExpectBundleError(EditHeader(b, [](json& h) { h["labels"].erase(h["labels"].size() - 1); }),
                    {"labels: 18 labels, expected 19 (arch.classes)"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["labels"][1] = h["labels"][0]; }), {"labels:", "appears twice"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["normalisation"]["mean"].erase(0); }),
                    {"normalisation:", "mean has 127 values, expected channels x bands = 128"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["normalisation"]["bands"] = 32; }),
                    {"normalisation: statistics are for [2 x 32], expected [2 x 64]"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["normalisation"]["std"][5] = -1.0; }),
                    {"normalisation:", "std[5]", "expected finite and > 0"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["features"]["filterbank"]["num_bands"] = 128; }),
                    {"features: filterbank.num_bands is 128, the network expects 64"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["features"]["background_channel"] = false; }),
                    {"features: images have 1 channels, the network expects 2"});
}

TEST(BundleDamage, ArchDoesNotMatchWeights) {
  const ModelBundle b = TestBundle("attcrnn");
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["hidden"] = 64; }),
                    {"tensor gru1.weight_ih_l0: shape [384, 256] does not match the architecture (expected [192, 256])"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["classes"] = 10; }), {"labels: 19 labels, expected 10"});
  ExpectBundleError(EditHeader(b,
                               [](json& h) {
                                 h["arch"]["classes"] = 10;
                                 h["labels"] = std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                                                        "j"};
                               }),
                    {"tensor classifier.weight: shape [19, 256] does not match the architecture (expected [10, 256])"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["arch"] = "cnn"; }),
                    {"tensor gru1.weight_ih_l0: not a tensor of the cnn network"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["arch"]["attention_scale"] = "learned"; }),
                    {"tensor attention_scale: missing from header.tensors"});
  // A CNN bundle relabelled as Att-CRNN lacks the recurrent weights.
  ExpectBundleError(EditHeader(TestBundle("cnn"), [](json& h) { h["arch"]["arch"] = "attcrnn"; }),
                    {"missing from header.tensors"});
}

TEST(BundleDamage, TensorDirectoryProblems) {
  const ModelBundle b = TestBundle("cnn");
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"].erase(1); }),
                    {"tensor conv.conv1.bias: missing from header.tensors"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"].push_back(h["tensors"][0]); }), {"listed twice"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"][0]["dtype"] = "float64"; }),
                    {"tensor conv.conv1.weight: dtype is \"float64\", expected \"float32\""});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"][1]["offset"] = 4; }),
                    {"tensor conv.conv1.bias: data offset is 4, expected 12800 (overlaps the previous tensor)"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"][0]["bytes"] = 12; }),
                    {"tensor conv.conv1.weight: size is 12 bytes, expected 12800"});
  ExpectBundleError(EditHeader(b, [](json& h) { h["tensors"][0]["name"] = "conv.conv9.weight"; }),
                    {"tensor conv.conv9.weight: not a tensor of the cnn network"});
  // Tensor bytes that do not fit / are left over / are not finite.
  Parts p = Split(EncodeBundle(b));
  Parts shorter = p;
  shorter.tens.resize(p.tens.size() - 4);
  ExpectBundleError(Join(shorter), {"lies beyond the tensor section"});
  Parts longer = p;
  longer.tens += std::string(8, '\0');
  ExpectBundleError(Join(longer), {"section 2 (TENS): 8 bytes not covered by header.tensors"});
  Parts nan = p;
  const float q = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan.tens[8], &q, 4);
  ExpectBundleError(Join(nan), {"tensor conv.conv1.weight: contains NaN or infinite values"});
}

}  // namespace
}  // namespace ascnet
