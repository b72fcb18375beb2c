// A small machine for CPU tests: 1 MiB of RAM (or more), empty buses, one Vcpu and an
// Interpreter with the code-write listener wired, in real mode at 0000:0100 or in flat 32-bit
// protected mode.
//
//   TestMachine m;
//   m.load(0x100, {0xB8, 0x34, 0x12, 0xF4});   // mov ax,0x1234; hlt
//   m.run();
//   CHECK(m.reg(EAX) == 0x1234);
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>
#include "cpu/cpu_state.h"
#include "cpu/flags.h"
#include "cpu/interpreter.h"
#include "cpu/vcpu.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"

namespace vmlab::cpu::test {

struct TestMachine {
  machine::GuestMemory mem;
  machine::IoBus io;
  machine::MmioBus mmio;
  Vcpu v{mem, io, mmio};
  Interpreter core;

  explicit TestMachine(Interpreter::Options o = {}, uint64_t ram = 1 << 20)
      : TestMachine(o, nullptr, ram) {}
  // With a translator: the bt technique (bt/translator.h).
  TestMachine(Interpreter::Options o, std::unique_ptr<BlockTranslator> translator,
              uint64_t ram = 1 << 20)
      : mem(ram), core(o, std::move(translator)) {
    reset_cpu_state(v.s);
    v.s.seg[CS] = SegmentCache{0, 0, 0xFFFF, 0x0093};
    v.s.eip = 0x100;
    v.s.gpr[ESP] = 0xFFF0;
    mem.set_code_write_listener([this](uint64_t page) { core.invalidate_code_page(page); });
  }

  // Flat 32-bit protected mode, CPL 0, paging off (descriptor caches set directly).
  void flat32() {
    v.s.cr0 |= CR0_PE;
    v.s.seg[CS] = SegmentCache{0x08, 0, 0xFFFFFFFF, 0x0C9B};
    for (uint8_t sg : {ES, SS, DS, FS, GS}) v.s.seg[sg] = SegmentCache{0x10, 0, 0xFFFFFFFF, 0x0C93};
    v.s.cpl = 0;
  }

  void load(uint32_t pa, const std::vector<uint8_t>& bytes) {
    mem.write_phys(pa, bytes);
  }
  void poke32(uint32_t pa, uint32_t val) {
    load(pa, {uint8_t(val), uint8_t(val >> 8), uint8_t(val >> 16), uint8_t(val >> 24)});
  }
  uint8_t peek8(uint32_t pa) {
    uint8_t b = 0;
    mem.read_phys(pa, {&b, 1});
    return b;
  }
  uint16_t peek16(uint32_t pa) { return uint16_t(peek8(pa) | (peek8(pa + 1) << 8)); }
  uint32_t peek32(uint32_t pa) { return peek16(pa) | (uint32_t(peek16(pa + 2)) << 16); }

  // Runs until HLT (or the budget); returns the exit.
  Exit run(uint64_t budget = 1'000'000) { return core.run(v, budget); }

  uint32_t reg(Gpr r) const { return v.s.gpr[r]; }
  uint32_t flags() const { return read_eflags(v.s); }
};

}  // namespace vmlab::cpu::test
