// Monitor: x/FMT ADDR (linear addresses, through the guest's page tables) and xp/FMT ADDR
// (physical addresses), laid out as QEMU prints them. FMT = [count][format][size]:
// format x (hex, default) d (signed) u (unsigned) o (octal) c (chars) i (instructions,
// Capstone); size b (1) h (2) w (4, default) g (8). The last format and size are remembered.
#include <capstone/capstone.h>

#include <cctype>
#include <cstring>
#include <fmt/format.h>

#include "cpu/cpu_state.h"
#include "ui/monitor.h"

namespace vmlab::ui {

namespace {

constexpr unsigned kMaxCount = 4096;  // items per command: enough to look, not to flood

// How the bytes of one dump are read: nullopt = this address cannot be read.
struct Reader {
  machine::Machine& m;
  const cpu::Vcpu& v;
  bool physical;
  std::optional<uint8_t> byte(uint64_t addr) const {
    uint64_t pa = addr;
    if (!physical) {
      if (addr > 0xFFFFFFFFull) return std::nullopt;
      auto t = v.mmu.probe(v, uint32_t(addr));  // no A/D bits, no CR2: the guest sees nothing
      if (!t) return std::nullopt;
      pa = *t;
    }
    // RAM and ROM only: an MMIO read can change device state (a FIFO pops, a flag clears).
    uint8_t b = 0;
    if (!m.memory().read_phys(pa, std::span<uint8_t>(&b, 1))) return std::nullopt;
    return b;
  }
  // Reads n bytes; returns the first address that cannot be read, if any.
  std::optional<uint64_t> read(uint64_t addr, uint8_t* out, unsigned n) const {
    for (unsigned i = 0; i < n; ++i) {
      auto b = byte(addr + i);
      if (!b) return addr + i;
      out[i] = *b;
    }
    return std::nullopt;
  }
};

std::string char_repr(uint64_t v) {
  unsigned c = unsigned(v & 0xFF);
  switch (c) {
    case '\'': return "'\\''";
    case '\\': return "'\\\\'";
    case '\n': return "'\\n'";
    case '\r': return "'\\r'";
    case '\t': return "'\\t'";
    default:
      if (c >= 32 && c <= 126) return fmt::format("'{}'", char(c));
      return fmt::format("'\\x{:02x}'", c);
  }
}

std::string address_label(bool physical, uint64_t addr) {
  return physical ? fmt::format("{:016x}:", addr) : fmt::format("{:08x}:", addr);
}

std::string disassemble(const Reader& r, uint64_t addr, unsigned count, bool code32) {
  csh h;
  if (cs_open(CS_ARCH_X86, code32 ? CS_MODE_32 : CS_MODE_16, &h) != CS_ERR_OK)
    return "x/i: cannot start the Capstone disassembler\n";
  std::string out;
  for (unsigned n = 0; n < count; ++n) {
    uint8_t buf[15];
    unsigned got = 0;
    while (got < sizeof buf) {
      auto b = r.byte(addr + got);
      if (!b) break;
      buf[got++] = *b;
    }
    if (got == 0) {
      out += fmt::format("Cannot access memory at {:#x}\n", addr);
      break;
    }
    cs_insn* insn = nullptr;
    size_t k = cs_disasm(h, buf, got, addr, 1, &insn);
    if (k == 0) {
      out += fmt::format("0x{:08x}:  (bad) .byte {:#04x}\n", addr, buf[0]);
      addr += 1;
      continue;
    }
    out += fmt::format("0x{:08x}:  {} {}\n", addr, insn[0].mnemonic, insn[0].op_str);
    addr += insn[0].size;
    cs_free(insn, k);
  }
  cs_close(&h);
  return out;
}

}  // namespace

std::string Monitor::memory_dump(bool physical, const std::string& fmt_word, const std::string& addr_text) {
  const char* cmd = physical ? "xp" : "x";
  unsigned count = 1;
  char format = last_format_;
  unsigned size = last_size_;
  bool size_given = false;
  if (!fmt_word.empty()) {
    if (fmt_word[0] != '/') return fmt::format("{}: the format starts with '/', e.g. {}/4xw ADDR\n", cmd, cmd);
    size_t i = 1;
    if (i < fmt_word.size() && std::isdigit(static_cast<unsigned char>(fmt_word[i]))) {
      uint64_t c = 0;
      while (i < fmt_word.size() && std::isdigit(static_cast<unsigned char>(fmt_word[i]))) {
        c = c * 10 + uint64_t(fmt_word[i++] - '0');
        if (c > kMaxCount) return fmt::format("{}: count too large (at most {})\n", cmd, kMaxCount);
      }
      if (c == 0) return fmt::format("{}: count must be at least 1\n", cmd);
      count = unsigned(c);
    }
    for (; i < fmt_word.size(); ++i) {
      char ch = fmt_word[i];
      switch (ch) {
        case 'x': case 'd': case 'u': case 'o': case 'c': case 'i': format = ch; break;
        case 'b': size = 1; size_given = true; break;
        case 'h': size = 2; size_given = true; break;
        case 'w': size = 4; size_given = true; break;
        case 'g': size = 8; size_given = true; break;
        default:
          return fmt::format("{}: invalid format letter '{}' in '{}' (count, then x d u o c i, "
                             "then b h w g)\n", cmd, ch, fmt_word);
      }
    }
  }
  if (format == 'c' && !size_given) size = 1;  // characters are bytes unless asked otherwise
  std::string error;
  auto addr = eval(addr_text, error);
  if (!addr) return fmt::format("{}: {}\n", cmd, error);
  last_format_ = format;
  last_size_ = size;
  if (!physical && *addr > 0xFFFFFFFFull)
    return fmt::format("x: {:#x} is beyond the 32-bit linear address space\n", *addr);

  Reader r{machine_, vcpu(), physical};
  if (format == 'i') return disassemble(r, *addr, count, cpu::code32(vcpu().s));

  std::string out;
  uint64_t a = *addr;
  uint64_t remaining = uint64_t(count) * size;
  const unsigned line_size = size == 1 ? 8 : 16;
  unsigned digits = 0;
  switch (format) {
    case 'o': digits = (size * 8 + 2) / 3; break;
    case 'u': case 'd': digits = (size * 8 * 10 + 32) / 33; break;
    case 'c': break;
    default: digits = size * 2; break;
  }
  while (remaining > 0) {
    unsigned l = unsigned(std::min<uint64_t>(remaining, line_size));
    out += address_label(physical, a);
    uint8_t buf[16];
    if (auto bad = r.read(a, buf, l)) {
      out += fmt::format(" Cannot access memory at {:#x}: {}\n", *bad,
                         physical ? "not RAM or ROM (MMIO is not read: reads can have side effects)"
                                  : "not mapped, or not RAM or ROM");
      return out;
    }
    for (unsigned i = 0; i < l; i += size) {
      uint64_t v = 0;
      std::memcpy(&v, buf + i, size);  // little-endian host and guest
      out += ' ';
      switch (format) {
        case 'o': out += fmt::format("{:>{}}", fmt::format("0{:o}", v), digits + 1); break;
        case 'u': out += fmt::format("{:>{}}", v, digits); break;
        case 'd': {
          int64_t sv = size == 8 ? int64_t(v)
                       : (v & (1ull << (size * 8 - 1))) ? int64_t(v) - int64_t(1ull << (size * 8))
                                                       : int64_t(v);
          out += fmt::format("{:>{}}", sv, digits);
          break;
        }
        case 'c': out += char_repr(v); break;
        default: out += fmt::format("0x{:0{}x}", v, digits); break;
      }
    }
    out += '\n';
    a += l;
    remaining -= l;
  }
  return out;
}

void Monitor::register_memory_commands() {
  for (bool physical : {false, true}) {
    add_command({physical ? "xp" : "x", "/fmt addr",
                 physical ? "physical memory dump (fmt: [count][x|d|u|o|c|i][b|h|w|g])"
                          : "linear (virtual) memory dump through the guest's page tables",
                 [this, physical](const std::vector<std::string>& args, const std::string&) {
                   std::string fmt_word, addr;
                   size_t first = 0;
                   if (!args.empty() && args[0][0] == '/') {
                     fmt_word = args[0];
                     first = 1;
                   }
                   for (size_t i = first; i < args.size(); ++i) addr += args[i];
                   return memory_dump(physical, fmt_word, addr);
                 }});
  }
}

}  // namespace vmlab::ui
