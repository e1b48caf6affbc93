#include "ascnet/calibration/platt.h"

#include <cmath>
#include <string>

#include "ascnet/core/error.h"

namespace ascnet {

PlattParams SigmoidTrain(const std::vector<double>& dec, const std::vector<int>& labels) {
  if (dec.size() != labels.size()) {
    throw ConfigError("SigmoidTrain: " + std::to_string(dec.size()) + " decision values but " +
                      std::to_string(labels.size()) + " labels (expected equal counts)");
  }
  if (dec.empty()) throw ConfigError("SigmoidTrain: no decision values (expected at least 1)");
  for (size_t i = 0; i < dec.size(); ++i) {
    if (!std::isfinite(dec[i])) {
      throw ConfigError("SigmoidTrain: decision value " + std::to_string(i) + " is not finite");
    }
  }
  const size_t l = dec.size();
  double prior1 = 0, prior0 = 0;
  for (int y : labels) (y > 0 ? prior1 : prior0) += 1;

  const int max_iter = 100;
  const double min_step = 1e-10;
  const double sigma = 1e-12;
  const double eps = 1e-5;
  const double hi_target = (prior1 + 1.0) / (prior1 + 2.0);
  const double lo_target = 1 / (prior0 + 2.0);
  std::vector<double> t(l);
  for (size_t i = 0; i < l; ++i) t[i] = labels[i] > 0 ? hi_target : lo_target;

  auto objective = [&](double a, double b) {
    double f = 0;
    for (size_t i = 0; i < l; ++i) {
      const double fApB = dec[i] * a + b;
      if (fApB >= 0) {
        f += t[i] * fApB + std::log(1 + std::exp(-fApB));
      } else {
        f += (t[i] - 1) * fApB + std::log(1 + std::exp(fApB));
      }
    }
    return f;
  };

  double A = 0.0;
  double B = std::log((prior0 + 1.0) / (prior1 + 1.0));
  double fval = objective(A, B);

  for (int iter = 0; iter < max_iter; ++iter) {
    double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
    for (size_t i = 0; i < l; ++i) {
      const double fApB = dec[i] * A + B;
      double p, q;
      if (fApB >= 0) {
        p = std::exp(-fApB) / (1.0 + std::exp(-fApB));
        q = 1.0 / (1.0 + std::exp(-fApB));
      } else {
        p = 1.0 / (1.0 + std::exp(fApB));
        q = std::exp(fApB) / (1.0 + std::exp(fApB));
      }
      const double d2 = p * q;
      h11 += dec[i] * dec[i] * d2;
      h22 += d2;
      h21 += dec[i] * d2;
      const double d1 = t[i] - p;
      g1 += dec[i] * d1;
      g2 += d1;
    }
    if (std::fabs(g1) < eps && std::fabs(g2) < eps) break;

    const double det = h11 * h22 - h21 * h21;
    const double dA = -(h22 * g1 - h21 * g2) / det;
    const double dB = -(-h21 * g1 + h11 * g2) / det;
    const double gd = g1 * dA + g2 * dB;

    double step = 1;
    while (step >= min_step) {
      const double newA = A + step * dA;
      const double newB = B + step * dB;
      const double newf = objective(newA, newB);
      if (newf < fval + 0.0001 * step * gd) {
        A = newA;
        B = newB;
        fval = newf;
        break;
      }
      step = step / 2.0;
    }
    if (step < min_step) break;  // line search fails (LIBSVM only prints a message)
  }
  return PlattParams{A, B};
}

double SigmoidPredict(double decision_value, const PlattParams& p) {
  const double fApB = decision_value * p.A + p.B;
  if (fApB >= 0) return std::exp(-fApB) / (1.0 + std::exp(-fApB));
  return 1.0 / (1 + std::exp(fApB));
}

}  // namespace ascnet
