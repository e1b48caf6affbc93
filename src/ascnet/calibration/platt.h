// Platt scaling exactly as LIBSVM's sigmoid_train / sigmoid_predict (Lin, Lin & Weng 2007;
// shared spec algorithms.md §3.2).
#pragma once

#include <vector>

namespace ascnet {

/// P(y = +1 | f) = 1 / (1 + exp(A f + B)).
struct PlattParams {
  double A = 0.0;
  double B = 0.0;
};

/// LIBSVM sigmoid_train: Newton's method with backtracking line search on the
/// regularised-target cross-entropy (maxiter 100, minstep 1e-10, sigma 1e-12, eps 1e-5).
/// labels[i] > 0 is the positive class. Like LIBSVM it stops silently when the line search
/// fails or after 100 iterations. ConfigError if the sizes differ, the input is empty or a
/// decision value is not finite.
PlattParams SigmoidTrain(const std::vector<double>& decision_values, const std::vector<int>& labels);

/// LIBSVM sigmoid_predict, in the overflow-free form.
double SigmoidPredict(double decision_value, const PlattParams& p);

}  // namespace ascnet
