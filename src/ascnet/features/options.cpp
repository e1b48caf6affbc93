#include "ascnet/features/options.h"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/text.h"
#include "ascnet/core/json_get.h"

namespace ascnet {
namespace {

[[noreturn]] void Bad(const std::string& field, const std::string& expected, const std::string& got) {
  BadOption("feature", field, expected, got);
}

}  // namespace

void FrameOptions::Validate() const {
  if (sample_rate < 1000 || sample_rate > 384000) Bad("frame.sample_rate", "1000..384000 Hz", Str(sample_rate));
  if (frame_length < 16) Bad("frame.frame_length", ">= 16 samples", Str(frame_length));
  if (frame_shift < 1 || frame_shift > frame_length) {
    Bad("frame.frame_shift", "1..frame_length (" + Str(frame_length) + ") samples", Str(frame_shift));
  }
  if (fft_size < frame_length || fft_size > (1 << 20)) {
    Bad("frame.fft_size", "frame_length (" + Str(frame_length) + ") .. 1048576", Str(fft_size));
  }
}

std::string FrameOptions::ToString() const {
  std::ostringstream os;
  os << "FrameOptions(sample_rate=" << sample_rate << " Hz, frame_length=" << frame_length
     << " samples, frame_shift=" << frame_shift << " samples, fft_size=" << fft_size << ")";
  return os.str();
}

void NoiseOptions::Validate() const {
  if (!(alpha >= 0 && std::isfinite(alpha))) Bad("noise.alpha", ">= 0", Str(alpha));
  if (!(beta > 0 && std::isfinite(beta))) Bad("noise.beta", "> 0", Str(beta));
  const std::pair<const char*, double> times[] = {{"noise.taca", taca},   {"noise.tamax", tamax},
                                                  {"noise.taminh", taminh}, {"noise.tpfall", tpfall},
                                                  {"noise.tbmax", tbmax}, {"noise.td", td}};
  for (const auto& t : times) {
    if (!(t.second > 0 && std::isfinite(t.second))) Bad(t.first, "> 0 seconds", Str(t.second));
  }
  if (!(qeqmin > 0)) Bad("noise.qeqmin", "> 0", Str(qeqmin));
  if (!(qeqmax >= qeqmin)) Bad("noise.qeqmax", ">= qeqmin", Str(qeqmax));
  if (!(av >= 0)) Bad("noise.av", ">= 0", Str(av));
  if (nu < 1 || nu > 1000) Bad("noise.nu", "1..1000", Str(nu));
}

std::string NoiseOptions::ToString() const {
  std::ostringstream os;
  os << "NoiseOptions(minimum statistics, alpha=" << alpha << ", beta=" << beta << ", td=" << td
     << " s, nu=" << nu << ")";
  return os.str();
}

std::string FilterbankOptions::TypeName(Type t) { return t == Type::kMel ? "mel" : "gammatone"; }

FilterbankOptions::Type FilterbankOptions::ParseType(const std::string& name) {
  if (name == "mel") return Type::kMel;
  if (name == "gammatone") return Type::kGammatone;
  throw ConfigError("invalid feature option filterbank.type = " + name + " (expected mel or gammatone)");
}

void FilterbankOptions::Validate(const FrameOptions& frame) const {
  if (num_bands < 1 || num_bands > 1024) Bad("filterbank.num_bands", "1..1024", Str(num_bands));
  const double nyquist = frame.sample_rate / 2.0;
  if (!(low_freq >= 0 && low_freq < high_freq)) {
    Bad("filterbank.low_freq", "0 <= low_freq < high_freq (" + Str(high_freq) + " Hz)", Str(low_freq));
  }
  if (!(high_freq <= nyquist)) Bad("filterbank.high_freq", "<= sample_rate/2 = " + Str(nyquist) + " Hz", Str(high_freq));
}

std::string FilterbankOptions::ToString() const {
  std::ostringstream os;
  os << "FilterbankOptions(type=" << TypeName(type) << ", num_bands=" << num_bands << ", low_freq=" << low_freq
     << " Hz, high_freq=" << high_freq << " Hz)";
  return os.str();
}

void SegmentOptions::Validate() const {
  if (frames < 1 || frames > 100000) Bad("segment.frames", "1..100000 frames", Str(frames));
  if (hop < 1 || hop > 100000) Bad("segment.hop", "1..100000 frames", Str(hop));
}

std::string SegmentOptions::ToString() const {
  std::ostringstream os;
  os << "SegmentOptions(frames=" << frames << ", hop=" << hop << " frames, cover_end=" << (cover_end ? "true" : "false")
     << ")";
  return os.str();
}

std::vector<int64_t> SegmentOptions::WindowStarts(int64_t num_frames) const {
  std::vector<int64_t> starts;
  if (num_frames <= 0) return starts;
  if (num_frames <= frames) return {0};
  for (int64_t s = 0; s + frames <= num_frames; s += hop) starts.push_back(s);
  if (cover_end && starts.back() + frames < num_frames) starts.push_back(num_frames - frames);
  return starts;
}

FeatureConfig FeatureConfig::Preset(const std::string& name) {
  FeatureConfig c;
  c.name = name;
  if (name == "logmel") {
    c.filterbank.type = FilterbankOptions::Type::kMel;
  } else if (name == "loggam") {
    c.filterbank.type = FilterbankOptions::Type::kGammatone;
  } else {
    throw ConfigError("unknown feature preset '" + name + "' (expected logmel or loggam)");
  }
  return c;
}

void FeatureConfig::Validate() const {
  frame.Validate();
  noise.Validate();
  filterbank.Validate(frame);
  segment.Validate();
  if (!(log_floor > 0 && std::isfinite(log_floor))) Bad("log_floor", "> 0", Str(log_floor));
}

std::string FeatureConfig::ToString() const {
  std::ostringstream os;
  os << "FeatureConfig(" << name << ")\n"
     << "  " << frame.ToString() << "\n"
     << "  " << filterbank.ToString() << "\n"
     << "  " << noise.ToString() << (background_channel ? "" : " [background channel off]") << "\n"
     << "  " << segment.ToString() << "\n"
     << "  log: ln(max(x, " << log_floor << ")); image [" << NumChannels() << ", " << filterbank.num_bands << ", "
     << segment.frames << "]";
  return os.str();
}

void to_json(nlohmann::json& j, const FeatureConfig& c) {
  j = nlohmann::json{
      {"name", c.name},
      {"frame",
       {{"sample_rate", c.frame.sample_rate},
        {"frame_length", c.frame.frame_length},
        {"frame_shift", c.frame.frame_shift},
        {"fft_size", c.frame.fft_size}}},
      {"noise",
       {{"alpha", c.noise.alpha},
        {"beta", c.noise.beta},
        {"taca", c.noise.taca},
        {"tamax", c.noise.tamax},
        {"taminh", c.noise.taminh},
        {"tpfall", c.noise.tpfall},
        {"tbmax", c.noise.tbmax},
        {"qeqmin", c.noise.qeqmin},
        {"qeqmax", c.noise.qeqmax},
        {"av", c.noise.av},
        {"td", c.noise.td},
        {"nu", c.noise.nu}}},
      {"filterbank",
       {{"type", FilterbankOptions::TypeName(c.filterbank.type)},
        {"num_bands", c.filterbank.num_bands},
        {"low_freq", c.filterbank.low_freq},
        {"high_freq", c.filterbank.high_freq}}},
      {"segment", {{"frames", c.segment.frames}, {"hop", c.segment.hop}, {"cover_end", c.segment.cover_end}}},
      {"background_channel", c.background_channel},
      {"log_floor", c.log_floor},
  };
}

namespace {
// obj[key] as T, exactly (JsonGet); ConfigError naming the field if it is missing or mistyped.
template <typename T>
T FeatureField(const nlohmann::json& obj, const char* key, const std::string& path) {
  if (!obj.is_object() || !obj.contains(key)) throw ConfigError("feature config: missing field " + path + key);
  try {
    return JsonGet<T>(obj.at(key));
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError("feature config: wrong type or value of field " + path + key + " (" + e.what() + ")");
  }
}
}  // namespace

void from_json(const nlohmann::json& j, FeatureConfig& c) {
  // Every field is required: a config that silently fell back to defaults could make
  // features drift from the model that stored it.
  auto need = [&](const nlohmann::json& obj, const char* key, const std::string& path) -> const nlohmann::json& {
    if (!obj.is_object() || !obj.contains(key)) throw ConfigError("feature config: missing field " + path + key);
    return obj.at(key);
  };
  try {
    c.name = FeatureField<std::string>(j, "name", "");
    const auto& f = need(j, "frame", "");
    c.frame.sample_rate = FeatureField<int>(f, "sample_rate", "frame.");
    c.frame.frame_length = FeatureField<int>(f, "frame_length", "frame.");
    c.frame.frame_shift = FeatureField<int>(f, "frame_shift", "frame.");
    c.frame.fft_size = FeatureField<int>(f, "fft_size", "frame.");
    const auto& n = need(j, "noise", "");
    c.noise.alpha = FeatureField<double>(n, "alpha", "noise.");
    c.noise.beta = FeatureField<double>(n, "beta", "noise.");
    c.noise.taca = FeatureField<double>(n, "taca", "noise.");
    c.noise.tamax = FeatureField<double>(n, "tamax", "noise.");
    c.noise.taminh = FeatureField<double>(n, "taminh", "noise.");
    c.noise.tpfall = FeatureField<double>(n, "tpfall", "noise.");
    c.noise.tbmax = FeatureField<double>(n, "tbmax", "noise.");
    c.noise.qeqmin = FeatureField<double>(n, "qeqmin", "noise.");
    c.noise.qeqmax = FeatureField<double>(n, "qeqmax", "noise.");
    c.noise.av = FeatureField<double>(n, "av", "noise.");
    c.noise.td = FeatureField<double>(n, "td", "noise.");
    c.noise.nu = FeatureField<int>(n, "nu", "noise.");
    const auto& b = need(j, "filterbank", "");
    c.filterbank.type = FilterbankOptions::ParseType(FeatureField<std::string>(b, "type", "filterbank."));
    c.filterbank.num_bands = FeatureField<int>(b, "num_bands", "filterbank.");
    c.filterbank.low_freq = FeatureField<double>(b, "low_freq", "filterbank.");
    c.filterbank.high_freq = FeatureField<double>(b, "high_freq", "filterbank.");
    const auto& s = need(j, "segment", "");
    c.segment.frames = FeatureField<int>(s, "frames", "segment.");
    c.segment.hop = FeatureField<int>(s, "hop", "segment.");
    // Absent in files written before test-time end windows existed: those used the grid only.
    c.segment.cover_end = s.contains("cover_end") ? FeatureField<bool>(s, "cover_end", "segment.") : false;
    c.background_channel = FeatureField<bool>(j, "background_channel", "");
    c.log_floor = FeatureField<double>(j, "log_floor", "");
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("feature config: wrong type of field (") + e.what() + ")");
  }
  c.Validate();
}

}  // namespace ascnet
