#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <random>
#include <thread>

#include "ascnet/features/stft.h"

using namespace ascnet;

TEST(Stft, PeriodicHann) {
  const auto w = PeriodicHann(8);
  EXPECT_FLOAT_EQ(w[0], 0.f);
  EXPECT_FLOAT_EQ(w[4], 1.f);
  EXPECT_NEAR(w[2], 0.5f, 1e-7);
}

TEST(Stft, PowerSpectrumMatchesDirectDft) {
  FrameOptions o;  // W = 1102, NFFT = 2048
  Stft stft(o);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  std::vector<float> frame(o.frame_length);
  for (float& v : frame) v = nd(rng);
  std::vector<float> p(o.NumBins());
  stft.PowerSpectrum(frame.data(), p.data());
  const auto win = PeriodicHann(o.frame_length);
  for (int k : {0, 1, 5, 100, 511, 512, 1000, 1024}) {
    std::complex<double> acc = 0;
    for (int n = 0; n < o.frame_length; ++n) {
      acc += static_cast<double>(frame[n] * win[n]) * std::polar(1.0, -2.0 * M_PI * k * n / o.fft_size);
    }
    const double ref = std::norm(acc);
    EXPECT_NEAR(p[k], ref, 1e-3 * ref + 1e-3) << "bin " << k;
  }
}

TEST(Stft, FrameCounts) {
  FrameOptions o;
  EXPECT_EQ(NumFrames(661500, o), 1200);  // 30 s
  EXPECT_EQ(NumFrames(110250, o), 200);   // 5 s
  EXPECT_EQ(NumFrames(22050, o), 40);     // 1 s
  EXPECT_EQ(NumFrames(100, o), 1);        // shorter than a hop: one zero-padded frame
  EXPECT_EQ(NumFrames(0, o), 0);
}

TEST(Stft, PowerSpectrogramTailIsZeroPadded) {
  FrameOptions o;
  Stft stft(o);
  std::vector<float> x(2000, 1.0f);
  const auto s = stft.PowerSpectrogram(x.data(), static_cast<int64_t>(x.size()));
  ASSERT_EQ(s.size(), static_cast<size_t>(NumFrames(2000, o)) * o.NumBins());  // 3 frames
  // Frame 2 covers [1102, 2204): only 898 samples are non-zero, so its DC is smaller.
  EXPECT_LT(s[2 * o.NumBins()], s[0]);
}

TEST(Stft, ConcurrentUseGivesIdenticalResults) {
  FrameOptions o;
  std::vector<float> x(30000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.01f * static_cast<float>(i * i % 1000));
  Stft ref(o);
  const auto want = ref.PowerSpectrogram(x.data(), static_cast<int64_t>(x.size()));
  std::vector<std::vector<float>> got(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      Stft s(o);
      got[t] = s.PowerSpectrogram(x.data(), static_cast<int64_t>(x.size()));
    });
  }
  for (auto& t : ts) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}
