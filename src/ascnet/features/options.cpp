#include "ascnet/features/options.h"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"

namespace ascnet {
namespace {

[[noreturn]] void Bad(const std::string& field, const std::string& expected, const std::string& got) {
  throw ConfigError("invalid feature option " + field + " = " + got + " (expected " + expected + ")");
}
template <typename T>
std::string Str(T v) {
  std::ostringstream os;
  os << v;
  return os.str();
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
  os << "SegmentOptions(frames=" << frames << ", hop=" << hop << " frames)";
  return os.str();
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
      {"segment", {{"frames", c.segment.frames}, {"hop", c.segment.hop}}},
      {"background_channel", c.background_channel},
      {"log_floor", c.log_floor},
  };
}

void from_json(const nlohmann::json& j, FeatureConfig& c) {
  // Every field is required: a config that silently fell back to defaults could make
  // features drift from the model that stored it.
  auto need = [&](const nlohmann::json& obj, const char* key, const std::string& path) -> const nlohmann::json& {
    if (!obj.is_object() || !obj.contains(key)) throw ConfigError("feature config: missing field " + path + key);
    return obj.at(key);
  };
  try {
    c.name = need(j, "name", "").get<std::string>();
    const auto& f = need(j, "frame", "");
    c.frame.sample_rate = need(f, "sample_rate", "frame.").get<int>();
    c.frame.frame_length = need(f, "frame_length", "frame.").get<int>();
    c.frame.frame_shift = need(f, "frame_shift", "frame.").get<int>();
    c.frame.fft_size = need(f, "fft_size", "frame.").get<int>();
    const auto& n = need(j, "noise", "");
    c.noise.alpha = need(n, "alpha", "noise.").get<double>();
    c.noise.beta = need(n, "beta", "noise.").get<double>();
    c.noise.taca = need(n, "taca", "noise.").get<double>();
    c.noise.tamax = need(n, "tamax", "noise.").get<double>();
    c.noise.taminh = need(n, "taminh", "noise.").get<double>();
    c.noise.tpfall = need(n, "tpfall", "noise.").get<double>();
    c.noise.tbmax = need(n, "tbmax", "noise.").get<double>();
    c.noise.qeqmin = need(n, "qeqmin", "noise.").get<double>();
    c.noise.qeqmax = need(n, "qeqmax", "noise.").get<double>();
    c.noise.av = need(n, "av", "noise.").get<double>();
    c.noise.td = need(n, "td", "noise.").get<double>();
    c.noise.nu = need(n, "nu", "noise.").get<int>();
    const auto& b = need(j, "filterbank", "");
    c.filterbank.type = FilterbankOptions::ParseType(need(b, "type", "filterbank.").get<std::string>());
    c.filterbank.num_bands = need(b, "num_bands", "filterbank.").get<int>();
    c.filterbank.low_freq = need(b, "low_freq", "filterbank.").get<double>();
    c.filterbank.high_freq = need(b, "high_freq", "filterbank.").get<double>();
    const auto& s = need(j, "segment", "");
    c.segment.frames = need(s, "frames", "segment.").get<int>();
    c.segment.hop = need(s, "hop", "segment.").get<int>();
    c.background_channel = need(j, "background_channel", "").get<bool>();
    c.log_floor = need(j, "log_floor", "").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("feature config: wrong type of field (") + e.what() + ")");
  }
  c.Validate();
}

}  // namespace ascnet
