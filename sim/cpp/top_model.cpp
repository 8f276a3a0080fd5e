// C harness around the verilated edgemoe_top (edgemoe.sim.top_model loads it with ctypes).
//
// * The clock is stepped here: per cycle the memory ports and the AXI-Lite master drive
//   their outputs from their state, the model settles (clk low), handshakes are sampled,
//   then the rising edge; two evals per cycle.
// * AXI-Lite master: one transaction per call (awvalid+wvalid together, bready and
//   rready high), bounded: a slave that does not finish within max_cycles is an error
//   (return -1), never a hang.
// * Four AXI4 ports behind one memory (axi_mem.h) over a host-owned buffer.
// * tm_bench_mem: the memory model alone under a synthetic four-port master (4 KB
//   bursts, max outstanding reads), to measure its own beats per second.
//
// Synchronous active-low reset (rst_ni low for the given cycles).
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "Vedgemoe_top.h"
#include "axi_mem.h"
#include "verilated.h"

using namespace edgemoe;

namespace {

constexpr int kPorts = 4;

// Bit fields of a packed port vector, whatever C++ type Verilator gave it.
template <typename T>
inline uint64_t gb(const T& v, int lo, int w) {
  return (static_cast<uint64_t>(v) >> lo) & (w >= 64 ? ~0ull : ((1ull << w) - 1));
}
template <std::size_t N>
inline uint64_t gb(const VlWide<N>& v, int lo, int w) {
  uint64_t r = 0;
  for (int k = 0; k < w;) {
    int bit = lo + k, word = bit / 32, off = bit % 32, take = 32 - off;
    if (take > w - k) take = w - k;
    uint64_t part = (static_cast<uint64_t>(v[word]) >> off) & ((1ull << take) - 1);
    r |= part << k;
    k += take;
  }
  return r;
}
template <typename T>
inline void sb(T& v, int lo, int w, uint64_t x) {
  uint64_t m = (w >= 64 ? ~0ull : ((1ull << w) - 1)) << lo;
  v = static_cast<T>((static_cast<uint64_t>(v) & ~m) | ((x << lo) & m));
}

struct Lite {
  int op = 0;  // 0 idle, 1 write, 2 read
  bool aw = false, w = false, ar = false, done = false;
  uint32_t addr = 0, data = 0, strb = 0xF, resp = 0, rdata = 0;
};

struct Model {
  VerilatedContext ctx;
  Vedgemoe_top* top = nullptr;
  Mem mem;
  Config cfg;
  std::vector<Fault> faults;
  std::string error;
  AxiMemPort port[kPorts];
  PortIn pin[kPorts];
  PortOut pout[kPorts];
  Lite lite;
  uint64_t cycle = 0;

  Model() {
    ctx.randReset(0);
    top = new Vedgemoe_top(&ctx, "edgemoe_top");
    for (int p = 0; p < kPorts; p++) {
      port[p].index = p;
      port[p].mem = &mem;
      port[p].cfg = &cfg;
      port[p].faults = &faults;
      port[p].error = &error;
    }
  }
  ~Model() {
    top->final();
    delete top;
  }

  void drive_inputs() {
    for (int p = 0; p < kPorts; p++) port[p].drive(cycle, pout[p]);
    Vedgemoe_top& t = *top;
    uint8_t arr = 0, rv = 0, rl = 0, awr = 0, wr = 0, bv = 0, rresp = 0, bresp = 0, rid = 0, bid = 0;
    for (int p = 0; p < kPorts; p++) {
      const PortOut& o = pout[p];
      arr |= o.arready << p;
      rv |= o.rvalid << p;
      rl |= o.rlast << p;
      awr |= o.awready << p;
      wr |= o.wready << p;
      bv |= o.bvalid << p;
      rresp |= (o.rresp & 3) << (2 * p);
      bresp |= (o.bresp & 3) << (2 * p);
      rid |= (o.rid & 1) << p;
      bid |= (o.bid & 1) << p;
      if (o.rvalid)
        for (int k = 0; k < 4; k++) t.m_axi_rdata_i[4 * p + k] = o.rdata[k];
    }
    t.m_axi_arready_i = arr;
    t.m_axi_rvalid_i = rv;
    t.m_axi_rlast_i = rl;
    t.m_axi_awready_i = awr;
    t.m_axi_wready_i = wr;
    t.m_axi_bvalid_i = bv;
    t.m_axi_rresp_i = rresp;
    t.m_axi_bresp_i = bresp;
    t.m_axi_rid_i = rid;
    t.m_axi_bid_i = bid;
    // AXI-Lite master
    t.s_axil_awvalid_i = lite.aw;
    t.s_axil_wvalid_i = lite.w;
    t.s_axil_arvalid_i = lite.ar;
    t.s_axil_awaddr_i = lite.addr;
    t.s_axil_araddr_i = lite.addr;
    t.s_axil_wdata_i = lite.data;
    t.s_axil_wstrb_i = lite.strb;
    t.s_axil_awprot_i = 0;
    t.s_axil_arprot_i = 0;
    t.s_axil_bready_i = lite.op == 1;
    t.s_axil_rready_i = lite.op == 2;
  }

  void sample_outputs() {
    const Vedgemoe_top& t = *top;
    for (int p = 0; p < kPorts; p++) {
      PortIn& i = pin[p];
      i.arvalid = gb(t.m_axi_arvalid_o, p, 1);
      i.rready = gb(t.m_axi_rready_o, p, 1);
      i.awvalid = gb(t.m_axi_awvalid_o, p, 1);
      i.wvalid = gb(t.m_axi_wvalid_o, p, 1);
      i.bready = gb(t.m_axi_bready_o, p, 1);
      if (i.arvalid) {
        i.araddr = gb(t.m_axi_araddr_o, 64 * p, 64);
        i.arlen = gb(t.m_axi_arlen_o, 8 * p, 8);
        i.arsize = gb(t.m_axi_arsize_o, 3 * p, 3);
        i.arburst = gb(t.m_axi_arburst_o, 2 * p, 2);
        i.arid = gb(t.m_axi_arid_o, p, 1);
      }
      if (i.awvalid) {
        i.awaddr = gb(t.m_axi_awaddr_o, 64 * p, 64);
        i.awlen = gb(t.m_axi_awlen_o, 8 * p, 8);
        i.awsize = gb(t.m_axi_awsize_o, 3 * p, 3);
        i.awburst = gb(t.m_axi_awburst_o, 2 * p, 2);
        i.awid = gb(t.m_axi_awid_o, p, 1);
      }
      if (i.wvalid) {
        for (int k = 0; k < 4; k++) i.wdata[k] = t.m_axi_wdata_o[4 * p + k];
        i.wstrb = gb(t.m_axi_wstrb_o, 16 * p, 16);
        i.wlast = gb(t.m_axi_wlast_o, p, 1);
      }
    }
    // AXI-Lite handshakes
    if (lite.op == 1) {
      if (lite.aw && t.s_axil_awready_o) lite.aw = false;
      if (lite.w && t.s_axil_wready_o) lite.w = false;
      if (t.s_axil_bvalid_o) {
        lite.resp = t.s_axil_bresp_o;
        lite.done = true;
      }
    } else if (lite.op == 2) {
      if (lite.ar && t.s_axil_arready_o) lite.ar = false;
      if (!lite.ar && t.s_axil_rvalid_o) {
        lite.rdata = t.s_axil_rdata_o;
        lite.resp = t.s_axil_rresp_o;
        lite.done = true;
      }
    }
  }

  void tick() {
    drive_inputs();
    top->clk_i = 0;
    top->eval();
    sample_outputs();
    top->clk_i = 1;
    top->eval();
    for (int p = 0; p < kPorts; p++) port[p].clock(cycle, pin[p], pout[p]);
    if (lite.done) lite.op = 0;
    cycle++;
  }

  void reset(uint32_t cycles) {
    for (auto& p : port) p.reset();
    lite = Lite();
    top->rst_ni = 0;
    for (uint32_t k = 0; k < cycles; k++) tick();
    top->rst_ni = 1;
    tick();
  }

  // One AXI-Lite transaction; 0 done, -1 not finished within max_cycles.
  int lite_run(uint32_t max_cycles) {
    for (uint32_t k = 0; k < max_cycles; k++) {
      tick();
      if (lite.op == 0) return 0;
    }
    lite = Lite();  // give up: drop the request (the caller reports the slave as broken)
    return -1;
  }
};

// Synthetic four-port master for tm_bench_mem: reads (or writes) 4 KB bursts back to back.
double bench(uint64_t cycles, uint64_t mem_bytes, int write, uint32_t latency, uint64_t* beats_out) {
  std::vector<uint8_t> buf(mem_bytes);
  Mem mem{buf.data(), mem_bytes, 0x100000000ull};
  Config cfg;
  cfg.read_latency = latency;
  std::vector<Fault> faults;
  std::string error;
  AxiMemPort port[kPorts];
  uint64_t next[kPorts];
  uint32_t wbeat[kPorts], wpending[kPorts];
  for (int p = 0; p < kPorts; p++) {
    port[p].index = p;
    port[p].mem = &mem;
    port[p].cfg = &cfg;
    port[p].faults = &faults;
    port[p].error = &error;
    next[p] = 4096ull * p;
    wbeat[p] = 0;
    wpending[p] = 0;
  }
  PortIn in[kPorts];
  PortOut out[kPorts];
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t c = 0; c < cycles; c++) {
    for (int p = 0; p < kPorts; p++) {
      port[p].drive(c, out[p]);
      PortIn& i = in[p];
      i = PortIn();
      i.rready = i.bready = true;
      uint64_t a = mem.base + next[p] % (mem_bytes - 4096) / 4096 * 4096;
      if (write) {
        i.awvalid = wpending[p] < 4;
        i.awaddr = a;
        i.awlen = 255;
        i.wvalid = wpending[p] > 0;
        i.wstrb = 0xFFFF;
        i.wlast = wbeat[p] == 255;
        i.wdata[0] = static_cast<uint32_t>(c);
      } else {
        i.arvalid = true;
        i.araddr = a;
        i.arlen = 255;
      }
      port[p].clock(c, i, out[p]);
      if (write) {
        if (i.awvalid && out[p].awready) { wpending[p]++; next[p] += 4 * 4096; }
        if (i.wvalid && out[p].wready && ++wbeat[p] == 256) { wbeat[p] = 0; wpending[p]--; }
      } else if (i.arvalid && out[p].arready) {
        next[p] += 4 * 4096;
      }
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t beats = 0;
  for (auto& p : port) beats += write ? p.cnt.wr_beats : p.cnt.rd_beats;
  *beats_out = beats;
  return s;
}

}  // namespace

extern "C" {

void* tm_new(uint8_t* mem, uint64_t size, uint64_t base, uint64_t seed) {
  Model* m = new Model();
  m->mem = Mem{mem, size, base};
  for (int p = 0; p < kPorts; p++) {
    for (int c = 0; c < 5; c++) m->port[p].bp[c].rng = Rng(seed * 1000003ull + 16 * p + c + 1);
    m->port[p].jitter = Rng(seed * 7919ull + p + 1);
  }
  return m;
}
void tm_free(void* h) { delete static_cast<Model*>(h); }
void tm_set_mem(void* h, uint8_t* mem, uint64_t size, uint64_t base) {
  static_cast<Model*>(h)->mem = Mem{mem, size, base};
}
void tm_reset(void* h, uint32_t cycles) { static_cast<Model*>(h)->reset(cycles); }
void tm_config(void* h, uint32_t read_latency, uint32_t read_jitter, uint32_t write_latency, uint32_t max_rd,
               uint32_t max_wr) {
  Config& c = static_cast<Model*>(h)->cfg;
  c.read_latency = read_latency;
  c.read_jitter = read_jitter;
  c.write_latency = write_latency;
  c.max_rd = max_rd ? max_rd : 1;
  c.max_wr = max_wr ? max_wr : 1;
}
// mode 0 none, 1 random (probability prob of going each cycle), 2 bursty; channels: bit mask ar r aw w b.
void tm_backpressure(void* h, uint32_t port_mask, uint32_t channel_mask, int mode, double prob) {
  Model* m = static_cast<Model*>(h);
  for (int p = 0; p < kPorts; p++) {
    if (!(port_mask >> p & 1)) continue;
    for (int c = 0; c < 5; c++) {
      if (!(channel_mask >> c & 1)) continue;
      Backpressure& b = m->port[p].bp[c];
      b.mode = mode;
      b.thr = static_cast<uint32_t>((prob < 0 ? 0 : prob > 1 ? 1 : prob) * 4294967295.0);
      b.left = 0;
      b.on = true;
    }
  }
}
int tm_add_fault(void* h, uint64_t lo, uint64_t hi, int kind, int dir, uint32_t port_mask) {
  Model* m = static_cast<Model*>(h);
  m->faults.push_back(Fault{lo, hi, kind, dir, port_mask});
  return static_cast<int>(m->faults.size()) - 1;
}
void tm_clear_faults(void* h) {
  Model* m = static_cast<Model*>(h);
  m->faults.clear();
  for (auto& p : m->port) p.release();
}
void tm_stall_port(void* h, int port, int on) { static_cast<Model*>(h)->port[port].stalled = on != 0; }
uint64_t tm_step(void* h, uint64_t cycles, int until_irq) {
  Model* m = static_cast<Model*>(h);
  for (uint64_t k = 0; k < cycles; k++) {
    if (until_irq && m->top->irq_o) return k;
    m->tick();
    if (!m->error.empty()) return k + 1;
  }
  return cycles;
}
int tm_axil_write(void* h, uint32_t addr, uint32_t data, uint32_t strb, uint32_t max_cycles, uint32_t* resp) {
  Model* m = static_cast<Model*>(h);
  m->lite = Lite();
  m->lite.op = 1;
  m->lite.aw = m->lite.w = true;
  m->lite.addr = addr;
  m->lite.data = data;
  m->lite.strb = strb;
  int r = m->lite_run(max_cycles);
  *resp = m->lite.resp;
  if (r == 0) *resp = m->lite.resp;
  return r;
}
int tm_axil_read(void* h, uint32_t addr, uint32_t max_cycles, uint32_t* data, uint32_t* resp) {
  Model* m = static_cast<Model*>(h);
  m->lite = Lite();
  m->lite.op = 2;
  m->lite.ar = true;
  m->lite.addr = addr;
  int r = m->lite_run(max_cycles);
  *data = m->lite.rdata;
  *resp = m->lite.resp;
  return r;
}
int tm_irq(void* h) { return static_cast<Model*>(h)->top->irq_o; }
uint64_t tm_cycle(void* h) { return static_cast<Model*>(h)->cycle; }
// rd_beats, wr_beats, rd_bytes, wr_bytes, ar_bursts, aw_bursts, outstanding, held
void tm_counters(void* h, int port, uint64_t* out) {
  AxiMemPort& p = static_cast<Model*>(h)->port[port];
  out[0] = p.cnt.rd_beats;
  out[1] = p.cnt.wr_beats;
  out[2] = p.cnt.rd_bytes;
  out[3] = p.cnt.wr_bytes;
  out[4] = p.cnt.ar_bursts;
  out[5] = p.cnt.aw_bursts;
  out[6] = p.outstanding();
  out[7] = p.held();
}
const char* tm_error(void* h) { return static_cast<Model*>(h)->error.c_str(); }
void tm_clear_error(void* h) { static_cast<Model*>(h)->error.clear(); }
double tm_bench_mem(uint64_t cycles, uint64_t mem_bytes, int write, uint32_t latency, uint64_t* beats) {
  return bench(cycles, mem_bytes, write, latency, beats);
}

}  // extern "C"

// ---- one memory port without the top, driven cycle by cycle from the host (unit tests of axi_mem.h)
namespace {
struct PortInC {
  uint32_t arvalid, rready, awvalid, wvalid, bready, wlast;
  uint64_t araddr, awaddr;
  uint32_t arlen, arsize, arburst, arid, awlen, awsize, awburst, awid;
  uint32_t wdata[4];
  uint32_t wstrb;
};
struct PortOutC {
  uint32_t arready, rvalid, rlast, awready, wready, bvalid;
  uint32_t rdata[4];
  uint32_t rresp, bresp, rid, bid;
};
struct MemOnly {
  Mem mem;
  Config cfg;
  std::vector<Fault> faults;
  std::string error;
  AxiMemPort port;
  PortOut out;
  uint64_t cycle = 0;
};
}  // namespace

extern "C" {
void* mp_new(uint8_t* mem, uint64_t size, uint64_t base, uint64_t seed) {
  MemOnly* m = new MemOnly();
  m->mem = Mem{mem, size, base};
  m->port.mem = &m->mem;
  m->port.cfg = &m->cfg;
  m->port.faults = &m->faults;
  m->port.error = &m->error;
  for (int c = 0; c < 5; c++) m->port.bp[c].rng = Rng(seed * 1000003ull + c + 1);
  m->port.jitter = Rng(seed * 7919ull + 1);
  return m;
}
void mp_free(void* h) { delete static_cast<MemOnly*>(h); }
void mp_config(void* h, uint32_t read_latency, uint32_t read_jitter, uint32_t write_latency, uint32_t max_rd,
               uint32_t max_wr) {
  Config& c = static_cast<MemOnly*>(h)->cfg;
  c.read_latency = read_latency;
  c.read_jitter = read_jitter;
  c.write_latency = write_latency;
  c.max_rd = max_rd ? max_rd : 1;
  c.max_wr = max_wr ? max_wr : 1;
}
void mp_backpressure(void* h, uint32_t channel_mask, int mode, double prob) {
  MemOnly* m = static_cast<MemOnly*>(h);
  for (int c = 0; c < 5; c++) {
    if (!(channel_mask >> c & 1)) continue;
    Backpressure& b = m->port.bp[c];
    b.mode = mode;
    b.thr = static_cast<uint32_t>((prob < 0 ? 0 : prob > 1 ? 1 : prob) * 4294967295.0);
    b.left = 0;
    b.on = true;
  }
}
void mp_add_fault(void* h, uint64_t lo, uint64_t hi, int kind, int dir) {
  static_cast<MemOnly*>(h)->faults.push_back(Fault{lo, hi, kind, dir, 1u});
}
void mp_clear_faults(void* h) {
  MemOnly* m = static_cast<MemOnly*>(h);
  m->faults.clear();
  m->port.release();
}
void mp_stall(void* h, int on) { static_cast<MemOnly*>(h)->port.stalled = on != 0; }
// The memory's outputs for this cycle (from its state only).
void mp_drive(void* h, PortOutC* o) {
  MemOnly* m = static_cast<MemOnly*>(h);
  m->port.drive(m->cycle, m->out);
  const PortOut& p = m->out;
  o->arready = p.arready;
  o->rvalid = p.rvalid;
  o->rlast = p.rlast;
  o->awready = p.awready;
  o->wready = p.wready;
  o->bvalid = p.bvalid;
  for (int k = 0; k < 4; k++) o->rdata[k] = p.rdata[k];
  o->rresp = p.rresp;
  o->bresp = p.bresp;
  o->rid = p.rid;
  o->bid = p.bid;
}
// The clock edge with the master's signals of this cycle.
void mp_clock(void* h, const PortInC* c) {
  MemOnly* m = static_cast<MemOnly*>(h);
  PortIn i;
  i.arvalid = c->arvalid;
  i.rready = c->rready;
  i.awvalid = c->awvalid;
  i.wvalid = c->wvalid;
  i.bready = c->bready;
  i.wlast = c->wlast;
  i.araddr = c->araddr;
  i.awaddr = c->awaddr;
  i.arlen = c->arlen;
  i.arsize = c->arsize;
  i.arburst = c->arburst;
  i.arid = c->arid;
  i.awlen = c->awlen;
  i.awsize = c->awsize;
  i.awburst = c->awburst;
  i.awid = c->awid;
  for (int k = 0; k < 4; k++) i.wdata[k] = c->wdata[k];
  i.wstrb = c->wstrb;
  m->port.clock(m->cycle, i, m->out);
  m->cycle++;
}
void mp_counters(void* h, uint64_t* out) {
  AxiMemPort& p = static_cast<MemOnly*>(h)->port;
  out[0] = p.cnt.rd_beats;
  out[1] = p.cnt.wr_beats;
  out[2] = p.cnt.rd_bytes;
  out[3] = p.cnt.wr_bytes;
  out[4] = p.cnt.ar_bursts;
  out[5] = p.cnt.aw_bursts;
  out[6] = p.outstanding();
  out[7] = p.held();
}
const char* mp_error(void* h) { return static_cast<MemOnly*>(h)->error.c_str(); }
}  // extern "C"
