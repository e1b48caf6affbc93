// Architecture configuration of the Att-CRNN and CNN-baseline networks (no LibTorch here,
// so that command-line code can use it cheaply). Defaults are the paper's (shared spec
// system.md, "Networks"): input [B, 2, 64, 80], conv 5x5/64, 3x3/128, 2x2/256, each
// followed by ReLU, batch norm, 4x1 max pooling and dropout 0.25; 2 bidirectional GRU
// layers with H = 128; attention size 64; 19 classes (LITIS Rouen).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ascnet {

struct ArchConfig {
  /// The network: the Att-CRNN or the CNN baseline. Written "attcrnn" / "cnn" in JSON, on
  /// the command line and in result rows (KindName / ParseKind).
  enum class Kind { kAttCrnn, kCnn };

  /// How the spatio-temporal attention matrix A (entries summing to 1) is scaled before
  /// x_s = sum_t tanh(s * A_st * Z_st).
  enum class AttentionScale {
    kNone,     ///< s = 1: the paper's formula (default).
    kMean1,    ///< s = 2H*T (fixed): the mean entry of s*A is 1.
    kRow1,     ///< s = 2H (fixed): each row of s*A sums to 1 over time on average, so at
               ///< initialisation x_s is about the attention-weighted temporal mean of Z's row s.
    kLearned,  ///< s is a trainable scalar initialised to 2H*T (adds 1 parameter).
  };

  Kind arch = Kind::kAttCrnn;    ///< which network (KindName: "attcrnn" or "cnn").
  int channels = 2;              ///< input channels (log spectrum + background-subtracted).
  int bands = 64;                ///< M: frequency bands; a multiple of pool^layers (64).
  int frames = 80;               ///< T: frames per segment.
  std::vector<int> filters = {64, 128, 256};  ///< output channels of each conv layer.
  std::vector<int> kernels = {5, 3, 2};       ///< square kernel size of each conv layer.
  int pool = 4;                  ///< max-pool size along frequency (kernel = stride = pool x 1).
  double conv_dropout = 0.25;    ///< dropout probability after each conv layer's pooling.
  double batchnorm_eps = 1e-5;   ///< batch-norm epsilon.
  double batchnorm_momentum = 0.1;  ///< running-statistics update factor (PyTorch convention).
  int hidden = 128;              ///< H: GRU hidden size per direction (attcrnn).
  int rnn_layers = 2;            ///< stacked bidirectional GRU layers (attcrnn).
  double rnn_dropout = 0.1;      ///< dropout on each GRU layer's input and the stack's output.
  int attention = 64;            ///< size of the attention projections W_t, W_s (attcrnn).
  AttentionScale attention_scale = AttentionScale::kNone;  ///< see AttentionScale (attcrnn).
  int classes = 19;              ///< C: output classes.
  /// lambda of the relaxed instance frequency-wise normalisation of the network's input
  /// (Kim et al. 2022, RFN): x <- lambda * IFN(x) + (1 - lambda) * LN(x), where IFN
  /// standardises each (channel, band) row of an image over its frames and LN each channel
  /// over its bands and frames (epsilon batchnorm_eps). A parameter-free first layer that
  /// removes most of a recording's colouring. 0 = off (the input is used as it is; the
  /// paper); in (0, 1] otherwise. Bundles written before it existed read as 0.
  double instance_norm = 0.0;

  bool IsAttCrnn() const { return arch == Kind::kAttCrnn; }
  /// True when the network starts with the input normalisation (instance_norm > 0).
  bool NormalisesInput() const { return instance_norm > 0; }
  std::string Name() const { return KindName(arch); }  ///< "attcrnn" or "cnn"
  int NumConvLayers() const { return static_cast<int>(filters.size()); }
  /// Bands left after the conv block's poolings: bands / pool^layers (1 by default).
  int BandsAfterConv() const;
  /// Channels after the conv block (filters.back()).
  int ConvOutChannels() const { return filters.empty() ? 0 : filters.back(); }
  /// F: size of the per-frame vectors fed to the GRU (ConvOutChannels * BandsAfterConv).
  int SequenceFeatureSize() const { return ConvOutChannels() * BandsAfterConv(); }
  /// Size of the pooled feature vector: 2H (attcrnn) or ConvOutChannels (cnn).
  int PooledSize() const { return IsAttCrnn() ? 2 * hidden : ConvOutChannels(); }
  /// The fixed scale 2H*T used by kMean1 and as kLearned's initial value.
  double MeanOneScale() const { return 2.0 * hidden * frames; }
  /// The fixed s of a fixed-scale kind: 1 (kNone), 2H*T (kMean1), 2H (kRow1); kLearned's
  /// initial value (2H*T) for kLearned.
  double FixedAttentionScale() const;
  /// True for kLearned: s is a trained parameter (initialised to FixedAttentionScale()); the
  /// other kinds multiply the mask by FixedAttentionScale() (1 for kNone: unchanged).
  bool LearnsAttentionScale() const { return attention_scale == AttentionScale::kLearned; }

  /// Throws ConfigError naming the field and the expected range.
  void Validate() const;
  std::string ToString() const;  ///< one line per group of fields.

  static std::string KindName(Kind k);                     ///< "attcrnn", "cnn"
  static std::vector<std::string> KindNames();             ///< every name KindName gives
  static Kind ParseKind(const std::string& s);             ///< ConfigError for other names
  static std::optional<Kind> FindKind(const std::string& s);  ///< nullopt for other names
  /// The name of the network in result tables: "Att-CRNN", "CNN baseline".
  static std::string KindDisplayName(Kind k);
  static std::string ScaleName(AttentionScale s);          ///< "none", "mean1", "row1", "learned"
  static std::vector<std::string> ScaleNames();            ///< every name ScaleName gives
  static AttentionScale ParseScale(const std::string& s);  ///< ConfigError for other names
  /// The paper's architecture `name` ("attcrnn" or "cnn"; ConfigError otherwise) with
  /// `classes` outputs.
  static ArchConfig Preset(const std::string& name, int classes = 19);
};

void to_json(nlohmann::json& j, const ArchConfig& c);
/// Requires every field; ConfigError (naming the field) if one is missing or mistyped.
void from_json(const nlohmann::json& j, ArchConfig& c);

/// One row of an architecture description.
struct LayerInfo {
  std::string name;                ///< module name(s), e.g. "conv.conv1", "gru1", "temporal_w, _v"
  std::string description;         ///< e.g. "Conv2d 2->64 5x5 SAME"
  std::vector<int64_t> out_shape;  ///< output shape for batch size 1 (leading 1 included)
  int64_t parameters = 0;          ///< trainable parameters of this layer
  /// Multiply-accumulates of one segment's inference forward (batch norm: 1 per element, its
  /// scale and shift; a GRU: the 3 gates' input and recurrent products per step and
  /// direction; activations, pooling and softmax not counted).
  int64_t macs = 0;
};

/// Layer list with output shapes and parameter counts, computed from the configuration
/// alone (tests check that the counts sum to the built network's). Validates `c`.
std::vector<LayerInfo> DescribeLayers(const ArchConfig& c);
/// Sum of DescribeLayers(c)'s parameter counts.
int64_t CountParameters(const ArchConfig& c);
/// Sum of DescribeLayers(c)'s multiply-accumulates: one segment's inference forward.
int64_t CountMacs(const ArchConfig& c);
/// A printable table of DescribeLayers(c) followed by "parameters: N".
std::string FormatArchitecture(const ArchConfig& c);

}  // namespace ascnet
