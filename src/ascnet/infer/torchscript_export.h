// TorchScript export of a model bundle: a torch::jit::Module built by hand (the LibTorch C++
// frontend cannot script C++ modules) holding the network's parameters and buffers as
// attributes and TorchScript source for the exact eval-mode forward pass, so that Python
// (`torch.jit.load`) and C++ (`torch::jit::load`) get the same outputs as ascnet.
//
// Methods of the saved module (x: NORMALISED segments [B, C, M, T], float32):
//   forward(x)       -> probabilities [B, classes] (float32) of the chosen scorer:
//                       softmax of the network's logits, or the calibrated SVM + Platt
//                       (min-max scaling, OvR linear SVM, per-class sigmoid, renormalised;
//                       computed in float64 like ascnet, returned as float32)
//   network(x)       -> (logits [B, classes], pooled [B, P])
//   softmax(x)       -> softmax(logits) [B, classes]
//   svm(x)           -> calibrated SVM probabilities (only when the bundle is calibrated)
//   attention(x)     -> (a_spa [B, 2H], a_tem [B, T])   (Att-CRNN only)
//   normalise(raw)   -> (raw - mean) / std with the bundle's per-(channel, band) statistics
// Attributes: labels (List[str]), scorer ("softmax" or "svm"). The file also carries an
// extra file "ascnet.json" (arch, features, labels, normalisation, scorer).
// What the module leaves to the caller: the front end and the windowing. ascnet.json's
// features.segment gives the window layout (frames T, hop, cover_end: a last window aligned to
// the end of the recording when the hop grid stops short of it); a recording's decision is
// argmax_c sum over its windows of log max(p(c|window), 1e-7), as in classify.
#pragma once

#include <string>

#include <torch/csrc/jit/api/module.h>

#include "ascnet/infer/recognizer.h"
#include "ascnet/model/bundle.h"

namespace ascnet {

/// The TorchScript source of the module's methods for `bundle` (unrolled over its layers).
std::string TorchScriptSource(const ModelBundle& bundle, ScoreKind scorer);

/// Builds the module (on the CPU). `scorer`: kAuto = SVM if calibrated, else softmax;
/// kSvm without calibration throws ConfigError.
torch::jit::Module BuildTorchScript(const ModelBundle& bundle, ScoreKind scorer = ScoreKind::kAuto);

/// BuildTorchScript + save to `path` (with the "ascnet.json" extra file). IoError if the
/// file cannot be written.
void ExportTorchScript(const ModelBundle& bundle, const std::string& path, ScoreKind scorer = ScoreKind::kAuto);

}  // namespace ascnet
