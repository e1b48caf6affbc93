// Golden values: algorithms.md §2.1 (Gammatone, Ellis/detly) and §2.2 (Mel, librosa).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ascnet/core/error.h"
#include "ascnet/features/filterbank.h"

using namespace ascnet;

namespace {
FrameOptions Frame() { return FrameOptions{}; }  // 22050 Hz, fft 2048
FilterbankOptions Fb(FilterbankOptions::Type t) {
  FilterbankOptions f;
  f.type = t;
  return f;  // 64 bands, 50..11025 Hz
}
struct RowStats {
  int first = -1, last = -1, argmax = -1;
  double max = 0, sum = 0;
};
RowStats Stats(const std::vector<double>& w, int row, int bins) {
  RowStats s;
  for (int k = 0; k < bins; ++k) {
    const double v = w[static_cast<size_t>(row) * bins + k];
    if (v > 0) {
      if (s.first < 0) s.first = k;
      s.last = k;
    }
    if (v > s.max) {
      s.max = v;
      s.argmax = k;
    }
    s.sum += v;
  }
  return s;
}
}  // namespace

TEST(Mel, FrequenciesMatchLibrosa) {
  const auto f = MelFrequencies(64, 50, 11025);
  ASSERT_EQ(f.size(), 66u);
  EXPECT_NEAR(f[0], 50, 1e-6);
  EXPECT_NEAR(f[1], 100.421123, 1e-6);
  EXPECT_NEAR(f[2], 150.842245, 1e-6);
  EXPECT_NEAR(f[3], 201.263368, 1e-6);
  EXPECT_NEAR(f[64], 10466.370361, 1e-6);
  EXPECT_NEAR(f[65], 11025, 1e-6);
}

TEST(Mel, SlaneyScaleRoundTrip) {
  for (double hz : {0.0, 50.0, 999.0, 1000.0, 4000.0, 11025.0}) EXPECT_NEAR(MelToHzSlaney(HzToMelSlaney(hz)), hz, 1e-9);
  EXPECT_DOUBLE_EQ(HzToMelSlaney(1000), 15.0);
}

TEST(Mel, WeightsMatchLibrosaFixture) {
  const auto w = MelWeights(Frame(), Fb(FilterbankOptions::Type::kMel));
  const int bins = 1025;
  ASSERT_EQ(w.size(), 64u * bins);
  RowStats r0 = Stats(w, 0, bins);
  EXPECT_EQ(r0.first, 5);
  EXPECT_EQ(r0.last, 14);
  EXPECT_NEAR(r0.max, 0.01844771, 5e-9);
  EXPECT_NEAR(r0.sum, 0.09245453, 5e-9);
  const double vals[] = {0.001508, 0.005743, 0.009978, 0.014213, 0.018448,
                         0.016983, 0.012748, 0.008513, 0.004278, 0.000043};
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(w[5 + i], vals[i], 5e-7) << "bin " << 5 + i;
  RowStats r31 = Stats(w, 31, bins);
  EXPECT_EQ(r31.first, 175);
  EXPECT_EQ(r31.last, 193);
  EXPECT_NEAR(r31.max, 0.00958313, 5e-9);
  RowStats r63 = Stats(w, 63, bins);
  EXPECT_EQ(r63.first, 923);
  EXPECT_EQ(r63.last, 1023);
  EXPECT_NEAR(r63.max, 0.00183235, 5e-9);
  for (int i = 0; i < 64; ++i) EXPECT_GT(Stats(w, i, bins).sum, 0) << "empty band " << i;
}

TEST(Mel, NoEmptyFiltersForCommonFftSizes) {
  for (int nfft : {1024, 2048, 4096}) {
    FrameOptions f;
    f.frame_length = std::min(1102, nfft);
    f.frame_shift = f.frame_length / 2;
    f.fft_size = nfft;
    const auto w = MelWeights(f, Fb(FilterbankOptions::Type::kMel));
    for (int i = 0; i < 64; ++i) EXPECT_GT(Stats(w, i, f.NumBins()).sum, 0) << "nfft " << nfft << " band " << i;
  }
}

TEST(Gammatone, CentreFrequenciesMatchFixture) {
  const auto cf = ErbSpace(64, 50, 11025);
  ASSERT_EQ(cf.size(), 64u);
  EXPECT_NEAR(cf[0], 50, 1e-6);
  EXPECT_NEAR(cf[1], 66.58519, 1e-5);
  EXPECT_NEAR(cf[2], 84.156879, 1e-6);
  EXPECT_NEAR(cf[3], 102.773745, 1e-6);
  EXPECT_NEAR(cf[31], 1443.1398, 1e-4);
  EXPECT_NEAR(cf[61], 9234.001807, 1e-6);
  EXPECT_NEAR(cf[62], 9796.858293, 1e-6);
  EXPECT_NEAR(cf[63], 10393.193902, 1e-6);
}

TEST(Gammatone, WeightsMatchEllisFixture) {
  const auto w = GammatoneWeights(Frame(), Fb(FilterbankOptions::Type::kGammatone));
  const int bins = 1025;
  RowStats r0 = Stats(w, 0, bins);
  EXPECT_EQ(r0.argmax, 5);
  EXPECT_NEAR(r0.max, 0.96635380, 5e-9);
  EXPECT_NEAR(r0.sum, 4.391505, 5e-7);
  EXPECT_NEAR(w[0], 9.124529e-02, 5e-9);
  RowStats r31 = Stats(w, 31, bins);
  EXPECT_EQ(r31.argmax, 134);
  EXPECT_NEAR(r31.max, 0.99998996, 5e-9);
  EXPECT_NEAR(r31.sum, 26.822479, 5e-7);
  RowStats r63 = Stats(w, 63, bins);
  EXPECT_EQ(r63.argmax, 951);
  EXPECT_NEAR(r63.max, 1.05043650, 5e-9);
  EXPECT_NEAR(r63.sum, 142.396326, 5e-7);
  EXPECT_NEAR(w[63 * bins + 1024], 1.057698e-01, 5e-8);
}

TEST(Filterbank, SparseApplyEqualsDenseProduct) {
  for (auto type : {FilterbankOptions::Type::kMel, FilterbankOptions::Type::kGammatone}) {
    Filterbank fb(Frame(), Fb(type));
    std::vector<float> spec(1025);
    for (int k = 0; k < 1025; ++k) spec[k] = 1.0f + static_cast<float>((k * 37) % 11);
    std::vector<float> out(64);
    fb.Apply(spec.data(), out.data());
    for (int i = 0; i < 64; ++i) {
      double ref = 0;
      for (int k = 0; k < 1025; ++k) ref += fb.dense()[static_cast<size_t>(i) * 1025 + k] * spec[k];
      EXPECT_NEAR(out[i], ref, 1e-5 * ref) << "band " << i;
    }
  }
}

// Batches of any size (the 4-frame tiles and the remainder) give every frame exactly its
// single-frame values, for the sparse rows (Mel) and the dense blocks (Gammatone, also with a
// band count that leaves a partial block).
TEST(Filterbank, BatchApplyEqualsDenseProductAndDoesNotDependOnTheBatch) {
  for (auto type : {FilterbankOptions::Type::kMel, FilterbankOptions::Type::kGammatone}) {
    for (int bands : {64, 40}) {
      FilterbankOptions o = Fb(type);
      o.num_bands = bands;
      Filterbank fb(Frame(), o);
      const int frames = 11, bins = fb.num_bins();
      std::vector<float> spec(static_cast<size_t>(frames) * bins);
      for (size_t k = 0; k < spec.size(); ++k) spec[k] = 0.5f + static_cast<float>((k * 37) % 13) * 0.25f;
      std::vector<float> batch(static_cast<size_t>(frames) * bands), one(bands);
      fb.ApplyBatch(spec.data(), frames, batch.data());
      for (int f = 0; f < frames; ++f) {
        fb.Apply(spec.data() + static_cast<size_t>(f) * bins, one.data());
        for (int i = 0; i < bands; ++i) {
          ASSERT_EQ(batch[static_cast<size_t>(f) * bands + i], one[i]) << "frame " << f << " band " << i;
          double ref = 0;
          for (int k = 0; k < bins; ++k) ref += fb.dense()[static_cast<size_t>(i) * bins + k] * spec[static_cast<size_t>(f) * bins + k];
          EXPECT_NEAR(one[i], ref, 1e-5 * ref) << "frame " << f << " band " << i;
        }
      }
    }
  }
}

TEST(Filterbank, SharedBankIsBuiltOncePerConfig) {
  const auto a = Filterbank::Shared(Frame(), Fb(FilterbankOptions::Type::kGammatone));
  const auto b = Filterbank::Shared(Frame(), Fb(FilterbankOptions::Type::kGammatone));
  const auto mel = Filterbank::Shared(Frame(), Fb(FilterbankOptions::Type::kMel));
  FilterbankOptions narrow = Fb(FilterbankOptions::Type::kGammatone);
  narrow.high_freq = 8000;
  const auto c = Filterbank::Shared(Frame(), narrow);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), mel.get());
  EXPECT_NE(a.get(), c.get());
  EXPECT_EQ(a->dense(), Filterbank(Frame(), Fb(FilterbankOptions::Type::kGammatone)).dense());
  EXPECT_NE(a->dense(), c->dense());
}

TEST(Filterbank, TooManyBandsIsAClearError) {
  FrameOptions f;
  f.frame_length = 64;
  f.frame_shift = 32;
  f.fft_size = 64;
  FilterbankOptions fb = Fb(FilterbankOptions::Type::kMel);
  fb.num_bands = 200;
  try {
    Filterbank bank(f, fb);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
}
