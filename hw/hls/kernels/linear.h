// The unified linear unit (technique 4; docs/numerics.md, "Unified linear unit"; golden/linear.py).
//
// One datapath serves Q, K, V, the projection, fc1, fc2, the gate and both expert layers:
//
//   acc[t,n] = sum_k x[t,k] * w[n,k] + (b[n] << (16 + wf[n] - bf))     exact, 52 bits
//   y[t,n]   = round_shift(acc[t,n], wf[n] + extra)                     one rounding
//
// then an output stage chosen by a runtime mode flag: plain (sat_act), q (sat_q, extra = 4:
// the 1/8 attention scale folded into the rounding), gelu (fused GELU), resid (add into the
// existing output, one saturation) and scaled (add round_shift(sat_act(y) * p, 16) into the
// wide expert-combine buffer). Expert passes read their input rows through the expert's token
// queue (gather) and scatter their scaled outputs back to the queued tokens.
//
// Schedule: 16 x 16 tiles (kLinTileOut output rows x kLinTileIn inputs per cycle). The weights
// of one output tile (16 rows x K) are loaded once and every token runs over them; the next
// tile's weights load into the other half of a ping-pong buffer meanwhile. The MAC core and
// the output stage form a DATAFLOW pair linked by a FIFO of rounded results.
#ifndef EDGEMOE_LINEAR_H
#define EDGEMOE_LINEAR_H

#include <hls_stream.h>

#include "gelu.h"

namespace edgemoe {

// Output stages. The manifest of a `linear` vector folder names its mode; tb_linear maps the
// name to this enum, so the numbering is this kernel's own.
enum LinMode { kLinPlain = 0, kLinGelu = 1, kLinQ = 2, kLinResid = 3, kLinScaled = 4 };

constexpr int kTileO = kLinTileOut;
constexpr int kTileI = kLinTileIn;

// Rounding shift beyond the row exponent: act output 0, q output act.frac - q.frac + log2(8).
constexpr int kLinQExtraShift = kActFrac - kQFrac + 3;

// One output tile's parameters: weights, per-row fracs and the bias aligned to each row's
// accumulator frac (16 + wf).
template <int KMAX>
void lin_load_tile(const int16_t* w, const uint8_t* wexp, const int16_t* b, uint8_t bexp, bool has_bias,
                   int k, int n, int tile, w_t tw[kTileO][KMAX], ap_uint<5> twf[kTileO], lacc_t tbias[kTileO]) {
#pragma HLS INLINE off
  const int bf = kBFracMin + bexp;
lin_load_rows:
  for (int o = 0; o < kTileO; ++o) {
    const int row = tile * kTileO + o;
    const bool valid = row < n;
    const int wf = valid ? kWFracMin + int(wexp[row]) : kWFracMin;
    twf[o] = wf;
    // The bias enters the exact sum at the row's accumulator frac 16 + wf (>= its own frac).
    tbias[o] = (valid && has_bias) ? lacc_t(lacc_t(b[row]) << (kActFrac + wf - bf)) : lacc_t(0);
  lin_load_cols:
    for (int c = 0; c < k; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=192 max=KMAX
      tw[o][c] = valid ? w_t(w[row * k + c]) : w_t(0);
    }
  }
}

// All tokens over one weight tile: kTileO x kTileI MACs per cycle, exact accumulation.
// Gather (a template flag, so a plain pass has no queue port): input row = idx[token].
template <int KMAX, bool Gather>
void lin_compute_tile(const act_t x[kNumTokens][KMAX], const tok_t idx[kQueueDepth], int tokens, int k, int n,
                      int tile, int extra, const w_t tw[kTileO][KMAX], const ap_uint<5> twf[kTileO],
                      const lacc_t tbias[kTileO], hls::stream<lacc_t>& ys) {
#pragma HLS INLINE off
lin_tokens:
  for (int tok = 0; tok < tokens; ++tok) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    const int row = Gather ? int(idx[tok]) : tok;
    lacc_t acc[kTileO];
#pragma HLS ARRAY_PARTITION variable=acc complete
  lin_init:
    for (int o = 0; o < kTileO; ++o) {
#pragma HLS UNROLL
      acc[o] = tbias[o];
    }
  lin_k:
    for (int kt = 0; kt < k; kt += kTileI) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=12 max=KMAX/kTileI
    lin_o:
      for (int o = 0; o < kTileO; ++o) {
#pragma HLS UNROLL
        ap_int<kActBits + kWBits + 4> part = 0;   // 16 products of 26 x 16 bits
      lin_i:
        for (int i = 0; i < kTileI; ++i) {
#pragma HLS UNROLL
          part += mul(x[row][kt + i], tw[o][kt + i]);
        }
        acc[o] += part;
      }
    }
  lin_round:
    for (int o = 0; o < kTileO; ++o) {
#pragma HLS PIPELINE II=1
      if (tile * kTileO + o < n) ys.write(round_shift(acc[o], int(twf[o]) + extra));
    }
  }
}

// The MAC core: output tiles in order, weights ping-ponged (the load of tile i+1 has no data
// dependence on the compute of tile i, so the two calls of each branch run concurrently).
template <int KMAX, bool Gather>
void lin_core(const act_t x[kNumTokens][KMAX], const tok_t idx[kQueueDepth], const int16_t* w,
              const uint8_t* wexp, const int16_t* b, uint8_t bexp, bool has_bias, int tokens, int k, int n,
              int extra, hls::stream<lacc_t>& ys) {
#pragma HLS INLINE off
  static w_t w_ping[kTileO][KMAX], w_pong[kTileO][KMAX];
#pragma HLS ARRAY_PARTITION variable=w_ping complete dim=1
#pragma HLS ARRAY_PARTITION variable=w_ping cyclic factor=kTileI dim=2
#pragma HLS ARRAY_PARTITION variable=w_pong complete dim=1
#pragma HLS ARRAY_PARTITION variable=w_pong cyclic factor=kTileI dim=2
  static ap_uint<5> f_ping[kTileO], f_pong[kTileO];
  static lacc_t b_ping[kTileO], b_pong[kTileO];
#pragma HLS ARRAY_PARTITION variable=b_ping complete
#pragma HLS ARRAY_PARTITION variable=b_pong complete
  const int tiles = (n + kTileO - 1) / kTileO;
  lin_load_tile<KMAX>(w, wexp, b, bexp, has_bias, k, n, 0, w_ping, f_ping, b_ping);
lin_tiles:
  for (int tile = 0; tile < tiles; ++tile) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=48
    const bool more = tile + 1 < tiles;
    if ((tile & 1) == 0) {
      if (more) lin_load_tile<KMAX>(w, wexp, b, bexp, has_bias, k, n, tile + 1, w_pong, f_pong, b_pong);
      lin_compute_tile<KMAX, Gather>(x, idx, tokens, k, n, tile, extra, w_ping, f_ping, b_ping, ys);
    } else {
      if (more) lin_load_tile<KMAX>(w, wexp, b, bexp, has_bias, k, n, tile + 1, w_ping, f_ping, b_ping);
      lin_compute_tile<KMAX, Gather>(x, idx, tokens, k, n, tile, extra, w_pong, f_pong, b_pong, ys);
    }
  }
}

// Output stage into an activation buffer (plain, q, gelu, resid), in the core's order.
template <int NMAX, typename T>
void lin_store(hls::stream<lacc_t>& ys, int mode, int tokens, int n, T y[kNumTokens][NMAX]) {
#pragma HLS INLINE off
  const int tiles = (n + kTileO - 1) / kTileO;
lin_store_tiles:
  for (int tile = 0; tile < tiles; ++tile) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=48
  lin_store_tokens:
    for (int tok = 0; tok < tokens; ++tok) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    lin_store_o:
      for (int o = 0; o < kTileO; ++o) {
#pragma HLS PIPELINE II=1
        const int col = tile * kTileO + o;
        if (col < n) {
          const lacc_t v = ys.read();
          T out;
          if (mode == kLinQ) {
            out = T(sat_s<kQBits>(v));
          } else if (mode == kLinGelu) {
            out = T(gelu(sat_s<kActBits>(v)));
          } else if (mode == kLinResid) {
            out = T(sat_s<kActBits>(lacc_t(y[tok][col]) + v));
          } else {
            out = T(sat_s<kActBits>(v));
          }
          y[tok][col] = out;
        }
      }
    }
  }
}

// Output stage of the expert combine: M[row] += round_shift(sat_act(y) * p, 16), row = the
// queued token (scatter) or the pass's own row.
template <int NMAX>
void lin_store_scaled(hls::stream<lacc_t>& ys, int tokens, int n, const tok_t idx[kQueueDepth], bool scatter,
                      const p_t p[kQueueDepth], macc_t m[kNumTokens][NMAX]) {
#pragma HLS INLINE off
  const int tiles = (n + kTileO - 1) / kTileO;
lin_scaled_tiles:
  for (int tile = 0; tile < tiles; ++tile) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=12
  lin_scaled_tokens:
    for (int tok = 0; tok < tokens; ++tok) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
      const int row = scatter ? int(idx[tok]) : tok;
    lin_scaled_o:
      for (int o = 0; o < kTileO; ++o) {
#pragma HLS PIPELINE II=1
        const int col = tile * kTileO + o;
        if (col < n) {
          const act_t ya = sat_s<kActBits>(ys.read());
          const ap_int<kActBits + kPBits + 1> prod = mul(ya, p[tok]);
          m[row][col] += macc_t(round_shift(prod, kPFrac));
        }
      }
    }
  }
}

// One pass with an activation-buffer output. x rows come from idx[] when Gather is set.
template <int KMAX, int NMAX, bool Gather, typename T>
void linear_pass(const act_t x[kNumTokens][KMAX], const tok_t idx[kQueueDepth], const int16_t* w,
                 const uint8_t* wexp, const int16_t* b, uint8_t bexp, bool has_bias, int mode, int tokens, int k,
                 int n, T y[kNumTokens][NMAX]) {
#pragma HLS INLINE off
#pragma HLS DATAFLOW
  hls::stream<lacc_t> ys("lin_ys");
#pragma HLS STREAM variable=ys depth=64
  lin_core<KMAX, Gather>(x, idx, w, wexp, b, bexp, has_bias, tokens, k, n, mode == kLinQ ? kLinQExtraShift : 0, ys);
  lin_store<NMAX, T>(ys, mode, tokens, n, y);
}

// A pass that reads its input rows in order (every pass but an expert's first layer).
template <int KMAX, int NMAX, typename T>
void linear_pass(const act_t x[kNumTokens][KMAX], const int16_t* w, const uint8_t* wexp, const int16_t* b,
                 uint8_t bexp, bool has_bias, int mode, int tokens, int k, int n, T y[kNumTokens][NMAX]) {
#pragma HLS INLINE
  static const tok_t no_queue[kQueueDepth] = {};   // never read: Gather = false
  linear_pass<KMAX, NMAX, false, T>(x, no_queue, w, wexp, b, bexp, has_bias, mode, tokens, k, n, y);
}

// One scaled pass (an expert's second layer): results scattered into the combine buffer.
template <int KMAX, int NMAX>
void linear_pass_scaled(const act_t x[kNumTokens][KMAX], const int16_t* w, const uint8_t* wexp, const int16_t* b,
                        uint8_t bexp, const tok_t idx[kQueueDepth], bool scatter, const p_t p[kQueueDepth],
                        int tokens, int k, int n, macc_t m[kNumTokens][NMAX]) {
  // The core reads its rows in order (no gather); the queue indices go to the output stage only.
#pragma HLS INLINE off
#pragma HLS DATAFLOW
  hls::stream<lacc_t> ys("lin_ys_scaled");
#pragma HLS STREAM variable=ys depth=64
  lin_core<KMAX, false>(x, idx, w, wexp, b, bexp, true, tokens, k, n, 0, ys);
  lin_store_scaled<NMAX>(ys, tokens, n, idx, scatter, p, m);
}

}  // namespace edgemoe

#endif  // EDGEMOE_LINEAR_H
