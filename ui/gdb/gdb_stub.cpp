// The GDB remote protocol, command by command (see gdb_stub.h).
#include "ui/gdb/gdb_stub.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "cpu/flags.h"
#include "ui/gdb/gdb_target_xml.h"

namespace vmlab::ui::gdb {

namespace {

constexpr size_t kMaxMemoryRead = 4096;  // bytes per m packet: the reply stays in PacketSize
constexpr size_t kMaxBreakpoints = 64, kMaxWatchpoints = 16;
// gdb's register order for the segment registers.
constexpr cpu::SegReg kSegOrder[6] = {cpu::CS, cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS};

enum Reg : unsigned { kEip = 8, kEflags = 9, kSeg0 = 10, kSt0 = 16, kFctrl = 24, kXmm0 = 32, kMxcsr = 40 };

unsigned reg_size(unsigned r) {
  if (r >= kSt0 && r < kFctrl) return 10;
  if (r >= kXmm0 && r < kMxcsr) return 16;
  return 4;
}

std::string le32(uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  return to_hex(b, 4);
}

uint32_t get_le32(const std::vector<uint8_t>& b) {
  uint32_t v = 0;
  std::memcpy(&v, b.data(), 4);
  return v;
}

// "addr,len" -> numbers; false if malformed.
bool parse_addr_len(const std::string& s, uint64_t& addr, uint64_t& len) {
  const size_t comma = s.find(',');
  if (comma == std::string::npos) return false;
  return parse_hex_u64(s.substr(0, comma), addr) && parse_hex_u64(s.substr(comma + 1), len);
}

}  // namespace

void GdbStub::feed(const uint8_t* data, size_t n) {
  for (GdbInput& in : reader_.feed(data, n)) {
    switch (in.kind) {
      case GdbInput::Packet:
        ++packets_;
        if (!no_ack_) send_("+");
        handle(in.payload);
        break;
      case GdbInput::BadPacket:
        ++bad_packets_;
        if (!no_ack_) send_("-");
        break;
      case GdbInput::Interrupt:
        if (running_) target_.interrupt();
        break;
      case GdbInput::Ack:
      case GdbInput::Nack:  // we do not resend: gdb resends its packet on our '-', not we ours
        break;
    }
  }
}

void GdbStub::reply(const std::string& payload) { send_(gdb_frame(payload)); }

void GdbStub::report_stop(unsigned cpu, bool interrupted) {
  if (cpu >= target_.cpu_count()) cpu = 0;
  for (unsigned i = 0; i < target_.cpu_count(); ++i) {
    target_.hooks(i).single_step = false;
  }
  last_stop_cpu_ = cpu;
  g_cpu_ = cpu;
  const bool was_running = running_;
  running_ = false;
  if (was_running && !detached_) reply(stop_reply(cpu, interrupted));
}

void GdbStub::report_exit(int status) {
  running_ = false;
  if (!detached_) reply(fmt::format("W{:02x}", unsigned(status) & 0xFF));
}

std::string GdbStub::stop_reply(unsigned cpu, bool interrupted) const {
  const std::string thread = fmt::format("thread:{:x};", cpu + 1);
  if (interrupted) return "T02" + thread;
  const cpu::DebugHooks::Hit& hit = target_.hooks(cpu).hit;
  if (hit.kind == cpu::DebugStop::Watchpoint) {
    const char* kind = hit.watch == cpu::WatchKind::Write  ? "watch"
                       : hit.watch == cpu::WatchKind::Read ? "rwatch"
                                                           : "awatch";
    return fmt::format("T05{}:{:x};{}", kind, hit.address, thread);
  }
  return "T05" + thread;
}

std::string GdbStub::read_register(unsigned cpu, unsigned r) const {
  const cpu::CpuState& s = target_.state(cpu);
  if (r < 8) return le32(s.gpr[r]);
  if (r == kEip) return le32(s.eip);
  if (r == kEflags) return le32(cpu::read_eflags(s));
  if (r < kSt0) return le32(s.seg[kSegOrder[r - kSeg0]].selector);
  const cpu::FpuState& f = s.fpu;
  if (r < kFctrl) {
    const cpu::FpuReg& st = f.st[(cpu::fpu_top(f) + (r - kSt0)) & 7];
    uint8_t b[10];
    std::memcpy(b, &st.mantissa, 8);
    std::memcpy(b + 8, &st.sign_exp, 2);
    return to_hex(b, 10);
  }
  if (r < kXmm0) {
    const uint32_t v[8] = {f.fcw, f.fsw, f.ftw, f.fcs, f.fip, f.fds, f.fdp, f.fop};
    return le32(v[r - kFctrl]);
  }
  if (r < kMxcsr) {
    uint8_t b[16];
    std::memcpy(b, &f.xmm[r - kXmm0].lo, 8);
    std::memcpy(b + 8, &f.xmm[r - kXmm0].hi, 8);
    return to_hex(b, 16);
  }
  return le32(f.mxcsr);
}

bool GdbStub::write_register(unsigned cpu, unsigned r, const std::vector<uint8_t>& b) {
  if (r >= kNumRegs || b.size() != reg_size(r)) return false;
  cpu::CpuState& s = target_.state(cpu);
  cpu::FpuState& f = s.fpu;
  if (r < 8) {
    s.gpr[r] = get_le32(b);
  } else if (r == kEip) {
    s.eip = get_le32(b);
  } else if (r == kEflags) {
    cpu::write_eflags(s, (get_le32(b) & 0x003F7FD5u) | 0x2);  // reserved bits as the CPU has them
  } else if (r < kSt0) {
    // A selector alone is a segment only in real mode (base = selector << 4); in protected
    // mode the descriptor cache would not match, so only the current value is accepted.
    cpu::SegmentCache& seg = s.seg[kSegOrder[r - kSeg0]];
    const uint32_t sel = get_le32(b);
    if (sel > 0xFFFF) return false;
    if (cpu::real_mode(s)) {
      seg.selector = uint16_t(sel);
      seg.base = sel << 4;
    } else if (sel != seg.selector) {
      return false;
    }
  } else if (r < kFctrl) {
    cpu::FpuReg& st = f.st[(cpu::fpu_top(f) + (r - kSt0)) & 7];
    std::memcpy(&st.mantissa, b.data(), 8);
    std::memcpy(&st.sign_exp, b.data() + 8, 2);
  } else if (r < kXmm0) {
    const uint32_t v = get_le32(b);
    switch (r - kFctrl) {
      case 0: f.fcw = uint16_t(v); break;
      case 1: f.fsw = uint16_t(v); break;
      case 2: f.ftw = uint16_t(v); break;
      case 3: f.fcs = uint16_t(v); break;
      case 4: f.fip = v; break;
      case 5: f.fds = uint16_t(v); break;
      case 6: f.fdp = v; break;
      default: f.fop = uint16_t(v & 0x7FF); break;
    }
  } else if (r < kMxcsr) {
    std::memcpy(&f.xmm[r - kXmm0].lo, b.data(), 8);
    std::memcpy(&f.xmm[r - kXmm0].hi, b.data() + 8, 8);
  } else {
    f.mxcsr = get_le32(b) & 0xFFFF;
  }
  return true;
}

std::string GdbStub::read_all_registers(unsigned cpu) const {
  std::string out;
  for (unsigned r = 0; r < kNumRegs; ++r) out += read_register(cpu, r);
  return out;
}

bool GdbStub::thread_cpu(const std::string& id, int& cpu) const {
  if (id == "-1" || id == "0") {
    cpu = -1;
    return true;
  }
  uint64_t t = 0;
  if (!parse_hex_u64(id, t) || t == 0 || t > target_.cpu_count()) return false;
  cpu = int(t - 1);
  return true;
}

std::string GdbStub::cmd_memory_read(const std::string& args) {
  uint64_t addr = 0, len = 0;
  if (!parse_addr_len(args, addr, len) || addr > 0xFFFFFFFFull) return "E01";
  len = std::min<uint64_t>(len, kMaxMemoryRead);
  std::vector<uint8_t> buf(len);
  // Partial reads are allowed: stop at the first byte that cannot be read.
  size_t got = 0;
  while (got < len && target_.read_memory(g_cpu_, uint32_t(addr + got), buf.data() + got, 1)) ++got;
  if (got == 0 && len > 0) return "E14";
  return to_hex(buf.data(), got);
}

std::string GdbStub::cmd_memory_write(const std::string& args, bool binary) {
  const size_t colon = args.find(':');
  if (colon == std::string::npos) return "E01";
  uint64_t addr = 0, len = 0;
  if (!parse_addr_len(args.substr(0, colon), addr, len) || addr > 0xFFFFFFFFull) return "E01";
  std::vector<uint8_t> data;
  if (binary) {
    data.assign(args.begin() + long(colon) + 1, args.end());
  } else if (!from_hex(args.substr(colon + 1), data)) {
    return "E01";
  }
  if (data.size() != len) return "E01";
  if (len == 0) return "OK";
  return target_.write_memory(g_cpu_, uint32_t(addr), data.data(), data.size()) ? "OK" : "E14";
}

std::string GdbStub::cmd_breakpoint(const std::string& args, bool insert) {
  // type,addr,kind
  const size_t c1 = args.find(','), c2 = args.find(',', c1 == std::string::npos ? c1 : c1 + 1);
  if (c1 == std::string::npos || c2 == std::string::npos) return "E01";
  uint64_t type = 0, addr = 0, kind = 0;
  if (!parse_hex_u64(args.substr(0, c1), type) || !parse_hex_u64(args.substr(c1 + 1, c2 - c1 - 1), addr) ||
      !parse_hex_u64(args.substr(c2 + 1, args.find(';') == std::string::npos ? std::string::npos : args.find(';') - c2 - 1), kind) ||
      addr > 0xFFFFFFFFull)
    return "E01";
  if (type > 4) return "";  // not supported: the empty reply
  if (type >= 2 && (kind == 0 || kind > 8)) return "E01";
  for (unsigned cpu = 0; cpu < target_.cpu_count(); ++cpu) {
    cpu::DebugHooks& h = target_.hooks(cpu);
    if (type <= 1) {
      auto it = std::find(h.breakpoints.begin(), h.breakpoints.end(), uint32_t(addr));
      if (insert && it == h.breakpoints.end()) {
        if (h.breakpoints.size() >= kMaxBreakpoints) return "E22";
        h.breakpoints.push_back(uint32_t(addr));
      } else if (!insert && it != h.breakpoints.end()) {
        h.breakpoints.erase(it);
      }
    } else {
      const cpu::Watchpoint w{uint32_t(addr), uint32_t(kind), cpu::WatchKind(type)};
      auto it = std::find(h.watchpoints.begin(), h.watchpoints.end(), w);
      if (insert && it == h.watchpoints.end()) {
        if (h.watchpoints.size() >= kMaxWatchpoints) return "E22";
        h.watchpoints.push_back(w);
      } else if (!insert && it != h.watchpoints.end()) {
        h.watchpoints.erase(it);
      }
    }
    target_.hooks_changed(cpu);
  }
  return "OK";
}

std::string GdbStub::cmd_query(const std::string& p) {
  if (p.rfind("qSupported", 0) == 0)
    return fmt::format("PacketSize={:x};qXfer:features:read+;QStartNoAckMode+;vContSupported+",
                       GdbPacketReader::kMaxPayload);
  if (p == "qAttached") return "1";
  if (p == "qC") return fmt::format("QC{:x}", g_cpu_ + 1);
  if (p == "qfThreadInfo") {
    std::string s = "m";
    for (unsigned i = 0; i < target_.cpu_count(); ++i) s += fmt::format("{}{:x}", i ? "," : "", i + 1);
    return s;
  }
  if (p == "qsThreadInfo") return "l";
  const std::string xfer = "qXfer:features:read:target.xml:";
  if (p.rfind(xfer, 0) == 0) {
    uint64_t off = 0, len = 0;
    if (!parse_addr_len(p.substr(xfer.size()), off, len)) return "E01";
    const std::string doc = kTargetXml;
    if (off >= doc.size()) return "l";
    len = std::min<uint64_t>(len, GdbPacketReader::kMaxPayload / 2);
    const std::string chunk = doc.substr(off, len);
    return (off + chunk.size() >= doc.size() ? "l" : "m") + chunk;
  }
  if (p.rfind("qXfer:", 0) == 0) return "E00";
  if (p.rfind("qThreadExtraInfo,", 0) == 0) {
    int cpu = 0;
    if (!thread_cpu(p.substr(17), cpu) || cpu < 0) return "E01";
    const std::string name = fmt::format("CPU {}", cpu);
    return to_hex(reinterpret_cast<const uint8_t*>(name.data()), name.size());
  }
  return "";
}

void GdbStub::cmd_resume(bool step, int thread) {
  const unsigned n = target_.cpu_count();
  for (unsigned i = 0; i < n; ++i) {
    cpu::DebugHooks& h = target_.hooks(i);
    h.hit = {};
    h.single_step = false;
    h.skip_breakpoint_once = true;  // resuming from a breakpoint must not hit it again at once
  }
  running_ = true;
  if (step) {
    const unsigned cpu = thread >= 0 ? unsigned(thread) : g_cpu_;
    target_.hooks(cpu).single_step = true;
    target_.hooks_changed(cpu);
    target_.step(cpu);
  } else {
    target_.resume();
  }
}

void GdbStub::handle(const std::string& p) {
  if (p.empty()) return reply("");
  const char cmd = p[0];
  const std::string args = p.substr(1);
  switch (cmd) {
    case '?':
      return reply(stop_reply(last_stop_cpu_, false));
    case 'g':
      return reply(read_all_registers(g_cpu_));
    case 'G': {
      std::vector<uint8_t> all;
      if (!from_hex(args, all)) return reply("E01");
      size_t at = 0;
      for (unsigned r = 0; r < kNumRegs && at + reg_size(r) <= all.size(); ++r) {
        std::vector<uint8_t> one(all.begin() + long(at), all.begin() + long(at + reg_size(r)));
        at += reg_size(r);
        // A protected-mode segment register that differs is left as it is (write_register).
        (void)write_register(g_cpu_, r, one);
      }
      return reply("OK");
    }
    case 'p': {
      uint64_t r = 0;
      if (!parse_hex_u64(args, r) || r >= kNumRegs) return reply("E01");
      return reply(read_register(g_cpu_, unsigned(r)));
    }
    case 'P': {
      const size_t eq = args.find('=');
      uint64_t r = 0;
      std::vector<uint8_t> bytes;
      if (eq == std::string::npos || !parse_hex_u64(args.substr(0, eq), r) || r >= kNumRegs ||
          !from_hex(args.substr(eq + 1), bytes))
        return reply("E01");
      return reply(write_register(g_cpu_, unsigned(r), bytes) ? "OK" : "E01");
    }
    case 'm':
      return reply(cmd_memory_read(args));
    case 'M':
      return reply(cmd_memory_write(args, false));
    case 'X':
      return reply(cmd_memory_write(args, true));
    case 'Z':
    case 'z':
      return reply(cmd_breakpoint(args, cmd == 'Z'));
    case 'c':
    case 's':
    case 'C':
    case 'S': {
      // c [addr] / C sig[;addr]: an address resumes there; signals are not delivered.
      std::string a = args;
      if (cmd == 'C' || cmd == 'S') {
        const size_t semi = a.find(';');
        a = semi == std::string::npos ? "" : a.substr(semi + 1);
      }
      if (!a.empty()) {
        uint64_t addr = 0;
        if (!parse_hex_u64(a, addr) || addr > 0xFFFFFFFFull) return reply("E01");
        target_.state(g_cpu_).eip = uint32_t(addr);
      }
      return cmd_resume(cmd == 's' || cmd == 'S', -1);
    }
    case 'H': {
      int cpu = 0;
      if (args.size() < 2 || !thread_cpu(args.substr(1), cpu)) return reply("E01");
      if (args[0] == 'g' && cpu >= 0) g_cpu_ = unsigned(cpu);
      return reply("OK");
    }
    case 'T': {
      int cpu = 0;
      return reply(thread_cpu(args, cpu) && cpu >= 0 ? "OK" : "E01");
    }
    case 'q':
      return reply(cmd_query(p));
    case 'Q':
      if (p == "QStartNoAckMode") {
        reply("OK");
        no_ack_ = true;
        return;
      }
      return reply("");
    case 'v': {
      if (p == "vCont?") return reply("vCont;c;C;s;S");
      if (p.rfind("vCont;", 0) == 0) {
        // Actions a[:thread] separated by ';': a step action for one thread wins; the others
        // stay stopped while it steps (all CPUs run on one host thread anyway).
        std::string rest = p.substr(6);
        int step_thread = -2;
        while (!rest.empty()) {
          const size_t semi = rest.find(';');
          const std::string action = rest.substr(0, semi);
          rest = semi == std::string::npos ? "" : rest.substr(semi + 1);
          if (action.empty()) continue;
          const char a = action[0];
          if (a != 'c' && a != 'C' && a != 's' && a != 'S') return reply("E01");
          if (a == 's' || a == 'S') {
            const size_t colon = action.find(':');
            int cpu = -1;
            if (colon != std::string::npos && !thread_cpu(action.substr(colon + 1), cpu)) return reply("E01");
            if (step_thread == -2) step_thread = cpu;
          }
        }
        return cmd_resume(step_thread != -2, step_thread);
      }
      return reply("");  // vMustReplyEmpty and everything else
    }
    case 'D':
      for (unsigned i = 0; i < target_.cpu_count(); ++i) {
        target_.hooks(i) = cpu::DebugHooks{};
        target_.hooks_changed(i);
      }
      reply("OK");
      detached_ = true;
      running_ = true;
      target_.resume();
      return;
    case 'k':
      detached_ = true;
      target_.kill();
      return;
    default:
      return reply("");
  }
}

}  // namespace vmlab::ui::gdb
