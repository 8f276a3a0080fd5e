// Memory image of one encoder block's parameters, as the block tops read them over AXI.
//
// Two arrays: int16 mantissas (every weight, bias, LayerNorm gamma/beta, row-major, C order
// of the golden tensors) and uint8 exponent fields (frac - FracMin of format w or b: one per
// weight row, one per vector). The offsets below are element offsets into each array. The
// attention half is shared by both variants; the MLP half is fc1/fc2 (dense) or the task's
// gate and the 16 experts (MoE).
#ifndef EDGEMOE_BLOCK_LAYOUT_H
#define EDGEMOE_BLOCK_LAYOUT_H

#include "edgemoe_params.h"

namespace edgemoe {
namespace layout {

// ---- int16 mantissas
constexpr int kLn1G = 0;                                     // norm1 gamma (192)
constexpr int kLn1B = kLn1G + kEmbedDim;                     // norm1 beta (192)
constexpr int kQkvW = kLn1B + kEmbedDim;                     // qkv weight (576, 192), rows q | k | v
constexpr int kQkvB = kQkvW + kQkvDim * kEmbedDim;           // qkv bias (3, 192): q, k, v vectors
constexpr int kProjW = kQkvB + kQkvDim;                      // attention projection (192, 192)
constexpr int kProjB = kProjW + kEmbedDim * kEmbedDim;       // (192)
constexpr int kLn2G = kProjB + kEmbedDim;                    // norm2 gamma (192)
constexpr int kLn2B = kLn2G + kEmbedDim;                     // norm2 beta (192)
constexpr int kMlp = kLn2B + kEmbedDim;
// dense MLP
constexpr int kFc1W = kMlp;                                  // (768, 192)
constexpr int kFc1B = kFc1W + kMlpHidden * kEmbedDim;        // (768)
constexpr int kFc2W = kFc1B + kMlpHidden;                    // (192, 768)
constexpr int kFc2B = kFc2W + kEmbedDim * kMlpHidden;        // (192)
constexpr int kDenseWords = kFc2B + kEmbedDim;
// MoE
constexpr int kGateW = kMlp;                                 // gate of the task (16, 192), no bias
constexpr int kE1W = kGateW + kNumExperts * kEmbedDim;       // expert fc1 (16, 384, 192)
constexpr int kE1B = kE1W + kNumExperts * kExpertHidden * kEmbedDim;   // (16, 384)
constexpr int kE2W = kE1B + kNumExperts * kExpertHidden;     // expert fc2 (16, 192, 384)
constexpr int kE2B = kE2W + kNumExperts * kEmbedDim * kExpertHidden;   // (16, 192)
constexpr int kMoeWords = kE2B + kNumExperts * kEmbedDim;

// ---- uint8 exponent fields
constexpr int kXLn1G = 0;
constexpr int kXLn1B = 1;
constexpr int kXQkvW = 2;                                    // 576 rows
constexpr int kXQkvB = kXQkvW + kQkvDim;                     // 3 vectors
constexpr int kXProjW = kXQkvB + 3;                          // 192 rows
constexpr int kXProjB = kXProjW + kEmbedDim;
constexpr int kXLn2G = kXProjB + 1;
constexpr int kXLn2B = kXLn2G + 1;
constexpr int kXMlp = kXLn2B + 1;
constexpr int kXFc1W = kXMlp;                                // 768 rows
constexpr int kXFc1B = kXFc1W + kMlpHidden;
constexpr int kXFc2W = kXFc1B + 1;                           // 192 rows
constexpr int kXFc2B = kXFc2W + kEmbedDim;
constexpr int kDenseExps = kXFc2B + 1;
constexpr int kXGateW = kXMlp;                               // 16 rows
constexpr int kXE1W = kXGateW + kNumExperts;                 // (16, 384) rows
constexpr int kXE1B = kXE1W + kNumExperts * kExpertHidden;   // 16 vectors
constexpr int kXE2W = kXE1B + kNumExperts;                   // (16, 192) rows
constexpr int kXE2B = kXE2W + kNumExperts * kEmbedDim;       // 16 vectors
constexpr int kMoeExps = kXE2B + kNumExperts;

constexpr int kActWords = kNumTokens * kEmbedDim;            // one block input or output (int32 codes)

}  // namespace layout
}  // namespace edgemoe

#endif  // EDGEMOE_BLOCK_LAYOUT_H
