// Encoder-block tops: the dense block (even layers) and the MoE block (odd layers). Same
// interface: the block input and output as int32 act codes, the parameter image as int16
// mantissas plus uint8 exponent fields (kernels/block_layout.h), AXI-Lite control.
#include "encoder_block.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kBlkActDepth = layout::kActWords;
constexpr int kBlkDenseW = layout::kDenseWords;
constexpr int kBlkDenseX = layout::kDenseExps;
constexpr int kBlkMoeW = layout::kMoeWords;
constexpr int kBlkMoeX = layout::kMoeExps;
}  // namespace

void encoder_block_dense(const int32_t* x_in, int32_t* x_out, const int16_t* wts, const uint8_t* exps) {
#pragma HLS INTERFACE mode=m_axi port=x_in offset=slave bundle=gmem_x depth=kBlkActDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=x_out offset=slave bundle=gmem_x depth=kBlkActDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wts offset=slave bundle=gmem_w depth=kBlkDenseW max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=exps offset=slave bundle=gmem_e depth=kBlkDenseX
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  encoder_block<false>(x_in, x_out, wts, exps);
}

void encoder_block_moe(const int32_t* x_in, int32_t* x_out, const int16_t* wts, const uint8_t* exps) {
#pragma HLS INTERFACE mode=m_axi port=x_in offset=slave bundle=gmem_x depth=kBlkActDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=x_out offset=slave bundle=gmem_x depth=kBlkActDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wts offset=slave bundle=gmem_w depth=kBlkMoeW max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=exps offset=slave bundle=gmem_e depth=kBlkMoeX
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  encoder_block<true>(x_in, x_out, wts, exps);
}
