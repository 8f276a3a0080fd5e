// AXI4 memory model behind the top's 128-bit master ports (edgemoe.sim.top_model).
//
// One AxiMemPort per port, all over one byte buffer owned by the host (Python numpy):
// device address = base + index. Per port:
//
// * AR/AW: accepted while fewer than max_rd / max_wr bursts are outstanding (and the
//   ready backpressure allows); INCR bursts of 16-byte beats only, never crossing 4 KB
//   (anything else is a protocol error: the model records the first one and the host
//   raises it);
// * R: bursts answered in order, the first beat no earlier than read_latency (+ a
//   seeded random jitter) cycles after the AR handshake, then one beat per cycle unless
//   the valid backpressure gaps it; W: beats of the oldest accepted AW, strobes applied
//   to the buffer; B: write_latency cycles after the last W beat;
// * responses: DECERR outside the buffer, SLVERR/DECERR where a fault range says so (no
//   data is written, read data is zero); a HANG fault holds a matching burst (and the
//   port's bursts after it: responses are in order) until the faults are cleared; a
//   stalled port answers nothing and accepts nothing;
// * valid/payload stability of AR/AW/W is checked (a master must hold them until the
//   handshake), wlast against awlen;
// * counters: beats and bytes per direction, bursts.
//
// Backpressure (per channel and port, seeded xorshift): 0 none, 1 random (go with
// probability p each cycle), 2 bursty (on for 1..32 cycles, off for 1..16).
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace edgemoe {

enum Resp : uint8_t { OKAY = 0, EXOKAY = 1, SLVERR = 2, DECERR = 3 };
enum FaultKind : int { F_SLVERR = 2, F_DECERR = 3, F_HANG = 4 };

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed = 1) : s(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s >> 16);
  }
};

struct Backpressure {
  int mode = 0;          // 0 none, 1 random, 2 bursty
  uint32_t thr = 0;      // random: go when next() < thr
  uint32_t left = 0;     // bursty: cycles left in the current phase
  bool on = true;
  Rng rng;
  // Whether the channel may go this cycle (called once per cycle).
  bool go() {
    if (mode == 0) return true;
    if (mode == 1) return rng.next() < thr;
    if (left == 0) {
      on = !on;
      left = on ? 1 + rng.next() % 32 : 1 + rng.next() % 16;
    }
    left--;
    return on;
  }
};

struct Fault {
  uint64_t lo, hi;  // device addresses [lo, hi)
  int kind;         // FaultKind
  int dir;          // 1 read, 2 write, 3 both
  uint32_t ports;   // bit mask
};

struct Mem {
  uint8_t* p = nullptr;
  uint64_t size = 0;
  uint64_t base = 0;
  bool in(uint64_t addr, uint64_t n) const {
    return addr >= base && addr - base <= size && n <= size - (addr - base);
  }
};

struct Config {
  uint32_t read_latency = 75;  // docs/architecture.md: DDR latency about 250 ns = 75 cycles
  uint32_t read_jitter = 0;
  uint32_t write_latency = 20;
  uint32_t max_rd = 8;
  uint32_t max_wr = 8;
};

// What the master drives on one port in one cycle.
struct PortIn {
  bool arvalid = false, rready = false, awvalid = false, wvalid = false, bready = false, wlast = false;
  uint64_t araddr = 0, awaddr = 0;
  uint32_t arlen = 0, arsize = 4, arburst = 1, arid = 0;
  uint32_t awlen = 0, awsize = 4, awburst = 1, awid = 0;
  uint32_t wdata[4] = {0, 0, 0, 0};
  uint32_t wstrb = 0;
};

// What the memory drives back on one port in one cycle.
struct PortOut {
  bool arready = false, rvalid = false, rlast = false, awready = false, wready = false, bvalid = false;
  uint32_t rdata[4] = {0, 0, 0, 0};
  uint8_t rresp = 0, bresp = 0;
  uint32_t rid = 0, bid = 0;
};

struct Counters {
  uint64_t rd_beats = 0, wr_beats = 0, rd_bytes = 0, wr_bytes = 0, ar_bursts = 0, aw_bursts = 0;
};

struct Burst {
  uint64_t addr = 0;
  uint32_t len = 0;   // beats
  uint32_t beat = 0;  // next beat
  uint64_t ready_at = 0;
  uint8_t resp = OKAY;
  bool hung = false;
  uint32_t id = 0;
};

class AxiMemPort {
 public:
  int index = 0;
  Mem* mem = nullptr;
  const Config* cfg = nullptr;
  const std::vector<Fault>* faults = nullptr;
  std::string* error = nullptr;  // first protocol error (shared)
  bool stalled = false;
  Counters cnt;
  Backpressure bp[5];  // ar, r, aw, w, b
  Rng jitter{7};

  void reset() {
    ar_q.clear();
    aw_q.clear();
    b_q.clear();
    prev_ar = prev_aw = prev_w = false;
  }
  size_t outstanding() const { return ar_q.size() + aw_q.size() + b_q.size(); }
  size_t held() const {
    size_t n = 0;
    for (auto& b : ar_q) n += b.hung;
    for (auto& b : aw_q) n += b.hung;
    for (auto& b : b_q) n += b.hung;
    return n;
  }
  void release() {
    for (auto& b : ar_q) b.hung = false;
    for (auto& b : aw_q) b.hung = false;
    for (auto& b : b_q) b.hung = false;
  }

  // Outputs for this cycle, from the state only (never from this cycle's inputs).
  void drive(uint64_t cycle, PortOut& o) {
    bool g[5];
    for (int c = 0; c < 5; c++) g[c] = bp[c].go();
    o = PortOut();
    if (stalled) return;
    o.arready = ar_q.size() < cfg->max_rd && g[0];
    o.awready = aw_q.size() + b_q.size() < cfg->max_wr && g[2];
    if (!ar_q.empty()) {
      Burst& b = ar_q.front();
      if (!b.hung && cycle >= b.ready_at && g[1]) {
        o.rvalid = true;
        o.rlast = b.beat + 1 == b.len;
        o.rresp = b.resp;
        o.rid = b.id;
        uint64_t a = b.addr + 16ull * b.beat;
        if (b.resp == OKAY)
          std::memcpy(o.rdata, mem->p + (a - mem->base), 16);
      }
    }
    if (!aw_q.empty() && !aw_q.front().hung) o.wready = g[3];
    if (!b_q.empty()) {
      Burst& b = b_q.front();
      if (!b.hung && cycle >= b.ready_at && g[4]) {
        o.bvalid = true;
        o.bresp = b.resp;
        o.bid = b.id;
      }
    }
  }

  // The clock edge: handshakes of this cycle (o: what drive() gave, i: the master's signals).
  void clock(uint64_t cycle, const PortIn& i, const PortOut& o) {
    check_stable(i);
    if (i.arvalid && o.arready) {
      Burst b = make_burst(i.araddr, i.arlen, i.arsize, i.arburst, i.arid, 1, "AR");
      b.ready_at = cycle + cfg->read_latency + (cfg->read_jitter ? jitter.next() % (cfg->read_jitter + 1) : 0);
      ar_q.push_back(b);
      cnt.ar_bursts++;
    }
    if (o.rvalid && i.rready) {
      Burst& b = ar_q.front();
      cnt.rd_beats++;
      cnt.rd_bytes += 16;
      if (++b.beat == b.len) ar_q.pop_front();
    }
    if (i.awvalid && o.awready) {
      aw_q.push_back(make_burst(i.awaddr, i.awlen, i.awsize, i.awburst, i.awid, 2, "AW"));
      cnt.aw_bursts++;
    }
    if (i.wvalid && o.wready) {
      Burst& b = aw_q.front();
      bool last = b.beat + 1 == b.len;
      if (i.wlast != last) fail("W: wlast " + std::to_string(i.wlast) + " on beat " + std::to_string(b.beat) +
                                " of a " + std::to_string(b.len) + "-beat burst at 0x" + hex(b.addr));
      if (b.resp == OKAY) {
        uint8_t* d = mem->p + (b.addr + 16ull * b.beat - mem->base);
        const uint8_t* s = reinterpret_cast<const uint8_t*>(i.wdata);
        if ((i.wstrb & 0xFFFF) == 0xFFFF) {
          std::memcpy(d, s, 16);
        } else {
          for (int k = 0; k < 16; k++)
            if (i.wstrb >> k & 1) d[k] = s[k];
        }
      }
      cnt.wr_beats++;
      cnt.wr_bytes += __builtin_popcount(i.wstrb & 0xFFFF);
      if (++b.beat == b.len) {
        b.ready_at = cycle + cfg->write_latency;
        b_q.push_back(b);
        aw_q.pop_front();
      }
    }
    if (o.bvalid && i.bready) b_q.pop_front();
    prev_ar = i.arvalid && !o.arready;
    prev_aw = i.awvalid && !o.awready;
    prev_w = i.wvalid && !o.wready;
    last_in = i;
  }

 private:
  std::deque<Burst> ar_q, aw_q, b_q;
  bool prev_ar = false, prev_aw = false, prev_w = false;
  PortIn last_in;

  static std::string hex(uint64_t v) {
    char s[24];
    snprintf(s, sizeof s, "%llx", static_cast<unsigned long long>(v));
    return s;
  }
  void fail(const std::string& what) {
    if (error && error->empty()) error->assign("port " + std::to_string(index) + " " + what);
  }
  void check_stable(const PortIn& i) {
    if (prev_ar && (!i.arvalid || i.araddr != last_in.araddr || i.arlen != last_in.arlen))
      fail("AR: valid or payload changed before the handshake (addr 0x" + hex(last_in.araddr) + ")");
    if (prev_aw && (!i.awvalid || i.awaddr != last_in.awaddr || i.awlen != last_in.awlen))
      fail("AW: valid or payload changed before the handshake (addr 0x" + hex(last_in.awaddr) + ")");
    if (prev_w && (!i.wvalid || std::memcmp(i.wdata, last_in.wdata, 16) != 0 || i.wstrb != last_in.wstrb ||
                   i.wlast != last_in.wlast))
      fail("W: valid or payload changed before the handshake");
  }
  Burst make_burst(uint64_t addr, uint32_t len, uint32_t size, uint32_t burst, uint32_t id, int dir,
                   const char* ch) {
    Burst b;
    b.addr = addr;
    b.len = len + 1;
    b.id = id;
    uint64_t n = 16ull * b.len;
    if (size != 4) fail(std::string(ch) + ": size " + std::to_string(size) + " (expected 4: 16-byte beats)");
    if (burst != 1) fail(std::string(ch) + ": burst type " + std::to_string(burst) + " (expected INCR)");
    if (addr % 16) fail(std::string(ch) + ": address 0x" + hex(addr) + " not 16-byte aligned");
    if ((addr & 0xFFF) + n > 4096) fail(std::string(ch) + ": burst at 0x" + hex(addr) + " of " +
                                        std::to_string(b.len) + " beats crosses a 4 KB boundary");
    b.resp = mem->in(addr, n) ? OKAY : DECERR;
    for (const Fault& f : *faults) {
      if (!(f.ports >> index & 1) || !(f.dir & dir) || addr >= f.hi || addr + n <= f.lo) continue;
      if (f.kind == F_HANG) b.hung = true;
      else if (b.resp == OKAY) b.resp = static_cast<uint8_t>(f.kind);
    }
    return b;
  }
};

}  // namespace edgemoe
