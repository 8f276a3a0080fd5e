// The synthesis top functions, one per kernel plus the encoder block in its two variants.
//
// Interfaces (Vivado IP flow, see scripts/): the RTL twins (gelu, exp, recip, softmax_stats,
// layernorm_unit) are free-running AXI-Stream units (ap_ctrl_none, one beat or one token per
// call) whose streams carry the RTL kernels' packing, so their exported RTL drops into the
// cocotb testbenches through the wrappers in ../wrap/. The row kernels softmax_top and
// layernorm_top stream data over AXI-Stream and take their control over AXI-Lite. The rest read and write DDR over AXI4
// master ports with an AXI-Lite control interface (ap_ctrl_hs); their DDR layouts are int32
// activation codes, int16 mantissas and uint8 exponent fields (frac - FracMin).
#ifndef EDGEMOE_TOPS_H
#define EDGEMOE_TOPS_H

#include <hls_stream.h>

#include "edgemoe_types.h"

#ifndef EDGEMOE_GELU_LANES
#define EDGEMOE_GELU_LANES 1
#endif
#ifndef EDGEMOE_EXP_LANES
#define EDGEMOE_EXP_LANES 1
#endif
#ifndef EDGEMOE_SMX_LANES
#define EDGEMOE_SMX_LANES 1
#endif
#ifndef EDGEMOE_LN_LANES
#define EDGEMOE_LN_LANES kLnLanes
#endif

namespace edgemoe {

// Lanes of the RTL-twin stream tops (compile-time: -DEDGEMOE_GELU_LANES=4 etc.; give the
// wrappers in ../wrap/ the same Lanes parameter).
constexpr int kGeluTopLanes = EDGEMOE_GELU_LANES;
constexpr int kExpTopLanes = EDGEMOE_EXP_LANES;
constexpr int kSmxTopLanes = EDGEMOE_SMX_LANES;
constexpr int kLnTopLanes = EDGEMOE_LN_LANES;
static_assert(kEmbedDim % kLnTopLanes == 0, "LayerNorm lanes must divide the 192 channels");

typedef ap_uint<kGeluTopLanes * kActBits> gelu_word_t;
typedef ap_uint<kExpTopLanes * kActBits> exp_in_word_t;
typedef ap_uint<kExpTopLanes * kEBits> exp_out_word_t;
typedef ap_uint<kSmxTopLanes * kActBits + 1> smx_in_word_t;            // {last, scores}
typedef ap_uint<kSmxTopLanes * (kActBits + kRBits)> smx_out_word_t;    // lanes of {r, m}
typedef ap_uint<2 * kLnTopLanes * kBBits + 2 * kBExpBits> ln_prm_word_t;
typedef ap_uint<kLnTopLanes * kActBits> ln_word_t;

// Return codes of the AXI-Lite-controlled tops (ap_return): 0, or why the arguments were refused.
enum TopStatus { kTopOk = 0, kTopBadTokens = 1, kTopBadK = 2, kTopBadN = 3, kTopBadMode = 4, kTopBadCols = 5 };

}  // namespace edgemoe

// ---- element kernels: one beat per call
void gelu_top(hls::stream<edgemoe::gelu_word_t>& in_stream, hls::stream<edgemoe::gelu_word_t>& out_stream);
void exp_top(hls::stream<edgemoe::exp_in_word_t>& in_stream, hls::stream<edgemoe::exp_out_word_t>& out_stream);
void recip_top(hls::stream<edgemoe::sum_t>& in_stream, hls::stream<edgemoe::r_t>& out_stream);

// Softmax statistics of Lanes rows in lock step (twin of hw/rtl/softmax_stats.sv).
void softmax_stats_top(hls::stream<edgemoe::smx_in_word_t>& in_stream, hls::stream<edgemoe::smx_out_word_t>& out_stream);
// LayerNorm with a parameter-load stream (twin of hw/rtl/layernorm.sv's streams).
void layernorm_unit_top(hls::stream<edgemoe::ln_prm_word_t>& prm_stream, hls::stream<edgemoe::ln_word_t>& in_stream,
                        hls::stream<edgemoe::ln_word_t>& out_stream);

// ---- row kernels
// One row of `cols` scores in; its max and reciprocal sum, then its `cols` weights out.
int softmax_top(hls::stream<edgemoe::act_t>& s_in, hls::stream<edgemoe::p_t>& p_out, hls::stream<edgemoe::act_t>& m_out,
                hls::stream<edgemoe::r_t>& r_out, int cols);
// `tokens` tokens of 192 channels; params = gamma (192) then beta (192) int16 mantissas.
int layernorm_top(hls::stream<edgemoe::act_t>& x_in, hls::stream<edgemoe::act_t>& y_out, const int16_t* params,
                  uint8_t gamma_exp, uint8_t beta_exp, int tokens);

// ---- memory-mapped kernels
// One linear-unit pass. y_in: the residual (resid) or the combine buffer (scaled, moe_acc codes);
// p: per-token gate scores (scaled). y_out: act (plain, gelu, resid), q (q) or moe_acc (scaled) codes.
int linear_top(const int32_t* x, const int16_t* w, const uint8_t* wexp, const int16_t* b, uint8_t bexp,
               const int32_t* y_in, const uint32_t* p, int32_t* y_out, int mode, int tokens, int k, int n);
// All heads: q (tokens, 192) q codes; k, v, out (tokens, 192) act codes; m_out, r_out (3, tokens).
int attention_top(const int32_t* q, const int32_t* k, const int32_t* v, int32_t* out, int32_t* m_out,
                  uint32_t* r_out, int tokens);
// Gate, top-2, probabilities, expert queues (16 x 129) and metaqueue.
int moe_gate_top(const int32_t* xn, const int16_t* wg, const uint8_t* wg_exp, int32_t* logits, uint8_t* idx,
                 uint32_t* prob, int16_t* q_tok, uint32_t* q_score, uint8_t* q_count, int8_t* meta,
                 uint8_t* meta_len, int tokens);
// A whole expert layer: y = sat_act(x + sum_k p_k expert_k(xn)), plus the routing it used.
int moe_experts_top(const int32_t* x, const int32_t* xn, const int16_t* wg, const uint8_t* wg_exp, const int16_t* w1,
                    const uint8_t* w1_exp, const int16_t* b1, const uint8_t* b1_exp, const int16_t* w2,
                    const uint8_t* w2_exp, const int16_t* b2, const uint8_t* b2_exp, int32_t* y, uint8_t* idx,
                    uint32_t* prob, int16_t* q_tok, uint32_t* q_score, uint8_t* q_count, int8_t* meta,
                    uint8_t* meta_len, int tokens);
// Patch embedding of one frame: pix (3, 128, 256) -> x (129, 192).
void patch_embed_top(const uint8_t* pix, const int16_t* w, const uint8_t* wexp, const int16_t* add,
                     const uint8_t* add_exp, int32_t* x_out);
// One encoder block on (129, 192) act codes; parameters laid out as kernels/block_layout.h.
void encoder_block_dense(const int32_t* x_in, int32_t* x_out, const int16_t* wts, const uint8_t* exps);
void encoder_block_moe(const int32_t* x_in, int32_t* x_out, const int16_t* wts, const uint8_t* exps);

#endif  // EDGEMOE_TOPS_H
