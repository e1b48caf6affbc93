#include "ascnet/model/gru_train.h"

#include <string>

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "ascnet/model/gru_kernel.h"

namespace ascnet {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The products over all rows are split into this many fixed parts (never by the thread count,
// so the bits do not depend on it); the parts and the two directions run on the intra-op
// threads, each product single-threaded (the trainer limits OpenBLAS to one thread).
constexpr int64_t kParts = 2;

// fn(p) for p in [0, parts) on the intra-op threads. Grad mode is thread-local and the worker
// threads do not inherit the autograd function's (off), so each part turns it off itself.
template <class F>
void ForEachPart(int64_t parts, const F& fn) {
  at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
    const torch::NoGradGuard no_grad;
    for (int64_t p = p0; p < p1; ++p) fn(p);
  });
}

// Rows of part p when n rows are split into kParts parts.
torch::Tensor PartRows(const torch::Tensor& t, int64_t p) {
  const int64_t n = t.size(0), begin = n * p / kParts, end = n * (p + 1) / kParts;
  return t.narrow(0, begin, end - begin);
}

// Tensors per direction d = 0 (forward in time), 1 (backward in time).
struct Direction {
  torch::Tensor w_hh;    // [3H, H]
  torch::Tensor states;  // [T + 1, B, H]: h before step s of this direction at s, h_{-1} = 0 at 0
  torch::Tensor gates;   // [T, B, 4H]: [r, z, n, W_hn h + b_hn] of step s
};

int64_t TimeOfStep(int64_t d, int64_t s, int64_t T) { return d == 0 ? s : T - 1 - s; }

class BiGruFunction : public torch::autograd::Function<BiGruFunction> {
 public:
  // x [B, T, I] -> [B, T, 2H]; parameters in torch::nn::GRU's layout (gate order r, z, n).
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w_ih_f,
                               const torch::Tensor& w_hh_f, const torch::Tensor& b_ih_f, const torch::Tensor& b_hh_f,
                               const torch::Tensor& w_ih_b, const torch::Tensor& w_hh_b, const torch::Tensor& b_ih_b,
                               const torch::Tensor& b_hh_b) {
    const int64_t B = x.size(0), T = x.size(1), I = x.size(2), H = w_hh_f.size(1), G = 3 * H;
    const torch::Tensor x2 = x.contiguous().view({B * T, I});
    const torch::Tensor w_ih = torch::cat({w_ih_f, w_ih_b}).contiguous();  // [2G, I]
    const torch::Tensor b_ih = torch::cat({b_ih_f, b_ih_b}).contiguous();  // [2G]

    // Phase 1: the input projections of every step and both directions, row (b, t) of
    // [B * T, 2G].
    const torch::Tensor xp = torch::empty({B * T, 2 * G}, x.options());
    const torch::Tensor w_ih_t = w_ih.t();
    ForEachPart(kParts, [&](int64_t p) {
      torch::Tensor out = PartRows(xp, p);
      at::addmm_out(out, b_ih, PartRows(x2, p), w_ih_t);
    });

    // Phase 2: the recurrence, one direction per thread: per step one product (the hidden
    // gates) and one element-wise pass.
    torch::Tensor out = torch::empty({B, T, 2 * H}, x.options());
    Direction dir[2] = {{w_hh_f.contiguous(), {}, {}}, {w_hh_b.contiguous(), {}, {}}};
    const torch::Tensor b_hh[2] = {b_hh_f.contiguous(), b_hh_b.contiguous()};
    ForEachPart(2, [&](int64_t d) {
      Direction& D = dir[d];
      D.states = torch::zeros({T + 1, B, H}, x.options());
      D.gates = torch::empty({T, B, 4 * H}, x.options());
      torch::Tensor g = torch::empty({B, G}, x.options());
      const torch::Tensor w_t = D.w_hh.t();
      for (int64_t s = 0; s < T; ++s) {
        const int64_t t = TimeOfStep(d, s, T);
        const torch::Tensor h_prev = D.states.select(0, s);
        at::addmm_out(g, b_hh[d], h_prev, w_t);
        GruTrainGatesForward(xp.data_ptr<float>() + t * 2 * G + d * G, T * 2 * G, g.data_ptr<float>(),
                             h_prev.data_ptr<float>(), B, H, D.gates.select(0, s).data_ptr<float>(),
                             D.states.select(0, s + 1).data_ptr<float>(), out.data_ptr<float>() + t * 2 * H + d * H,
                             T * 2 * H);
      }
    });

    ctx->save_for_backward({x2, w_ih, dir[0].w_hh, dir[1].w_hh, dir[0].states, dir[1].states, dir[0].gates,
                            dir[1].gates});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& x2 = saved[0];
    const torch::Tensor& w_ih = saved[1];
    const Direction dir[2] = {{saved[2], saved[4], saved[6]}, {saved[3], saved[5], saved[7]}};
    const int64_t T = dir[0].gates.size(0), B = dir[0].gates.size(1), H = dir[0].w_hh.size(1), G = 3 * H;
    const int64_t I = x2.size(1);
    const torch::Tensor dout = grads[0].to(x2.scalar_type()).contiguous();  // [B, T, 2H]

    // Phase 1: backward through time, one direction per thread: the gradients of the input
    // projections (row (b, t) of dxp) and of the hidden products (dg, per step); then that
    // direction's weight gradients, each one product over all steps.
    const torch::Tensor dxp = torch::empty({B * T, 2 * G}, x2.options());
    torch::Tensor dw_ih[2], db_ih[2], dw_hh[2], db_hh[2];
    ForEachPart(2, [&](int64_t d) {
      const Direction& D = dir[d];
      torch::Tensor dh = torch::zeros({B, H}, x2.options());
      const torch::Tensor dg = torch::empty({T, B, G}, x2.options());
      for (int64_t s = T - 1; s >= 0; --s) {
        const int64_t t = TimeOfStep(d, s, T);
        const torch::Tensor dg_s = dg.select(0, s);
        GruTrainGatesBackward(dout.data_ptr<float>() + t * 2 * H + d * H, T * 2 * H,
                              D.gates.select(0, s).data_ptr<float>(), D.states.select(0, s).data_ptr<float>(), B, H,
                              dh.data_ptr<float>(), dxp.data_ptr<float>() + t * 2 * G + d * G, T * 2 * G,
                              dg_s.data_ptr<float>());
        if (s > 0) dh.addmm_(dg_s, D.w_hh);  // dh_{t-1} += dg W_hh
      }
      const torch::Tensor dg2 = dg.view({T * B, G});
      dw_hh[d] = dg2.t().mm(D.states.narrow(0, 0, T).reshape({T * B, H}));  // [G, H]
      db_hh[d] = dg2.sum(0);
      const torch::Tensor dxp_d = dxp.narrow(1, d * G, G);
      dw_ih[d] = dxp_d.t().mm(x2);  // [G, I]
      db_ih[d] = dxp_d.sum(0);
    });

    // Phase 2: the input's gradient, one product over both directions' gates.
    const torch::Tensor dx = torch::empty({B * T, I}, x2.options());
    ForEachPart(kParts, [&](int64_t p) {
      torch::Tensor out = PartRows(dx, p);
      at::mm_out(out, PartRows(dxp, p), w_ih);
    });
    return {dx.view({B, T, I}), dw_ih[0], dw_hh[0], db_ih[0], db_hh[0], dw_ih[1], dw_hh[1], db_ih[1], db_hh[1]};
  }
};

}  // namespace

bool FusedBiGruApplies(const torch::Tensor& x, const torch::nn::GRU& gru) {
  const auto& o = gru->options;
  return gru->is_training() && o.num_layers() == 1 && o.bidirectional() && o.batch_first() && o.bias() &&
         o.dropout() == 0.0 && x.dim() == 3 && x.size(2) == o.input_size() && x.size(0) > 0 && x.size(1) > 0 &&
         x.device().is_cpu() && x.scalar_type() == torch::kFloat;
}

torch::Tensor FusedBiGru(const torch::Tensor& x, const torch::nn::GRU& gru) {
  TORCH_CHECK(FusedBiGruApplies(x, gru), "FusedBiGru: unsupported input ", x.sizes(), " (see FusedBiGruApplies)");
  const auto params = gru->named_parameters();
  auto p = [&](const std::string& name) {
    const torch::Tensor* t = params.find(name);
    TORCH_CHECK(t != nullptr, "FusedBiGru: GRU parameter ", name, " missing");
    return *t;
  };
  return BiGruFunction::apply(x, p("weight_ih_l0"), p("weight_hh_l0"), p("bias_ih_l0"), p("bias_hh_l0"),
                              p("weight_ih_l0_reverse"), p("weight_hh_l0_reverse"), p("bias_ih_l0_reverse"),
                              p("bias_hh_l0_reverse"));
}

}  // namespace ascnet
