// Events while blocks run chained (Interpreter::run_chained): it asks the interrupt controllers
// again only after a block that ends in a state-changing instruction or that touched MMIO, so
// these tests make an interrupt pending in exactly those ways, in the middle of a chained loop,
// and expect it delivered at the same instruction boundary as with chaining off: the block end
// right after the access.
#include <doctest/doctest.h>

#include <vector>

#include "machine/io_bus.h"
#include "tests/cpu/fake_interrupt_source.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kCode = 0x10000, kHandler = 0x11000, kGdt = 0x500, kIdt = 0x800;
constexpr uint8_t kVector = 0x40;

using FakePic = vmlab::cpu::test::FakeInterruptSource;

// An MMIO register whose write raises the interrupt (as a write to a local APIC's ICR would send
// a self-IPI) and a port that does the same (as an OUT to a device would).
struct Raiser : vmlab::machine::BusDevice {
  FakePic* pic = nullptr;
  uint32_t read(uint64_t, unsigned) override { return 0; }
  void write(uint64_t, unsigned, uint32_t) override { pic->pending = true; }
};

struct Outcome {
  uint32_t edx, ebx;
  int acks;
};

void put64(TestMachine& m, uint32_t pa, uint64_t d) {
  m.poke32(pa, uint32_t(d));
  m.poke32(pa + 4, uint32_t(d >> 32));
}

// Flat 32-bit ring 0, IF=1, a GDT (0x08 code, 0x10 data) and an interrupt gate for kVector to
// kHandler: mov edx,ebx; hlt. Runs `code` at kCode until HLT.
Outcome run(const std::vector<uint8_t>& code, Interpreter::Options o) {
  TestMachine m(o);
  m.flat32();
  put64(m, kGdt + 0x08, 0x00CF9B000000FFFFull);
  put64(m, kGdt + 0x10, 0x00CF93000000FFFFull);
  m.v.s.gdtr = {kGdt, 0x17};
  put64(m, kIdt + kVector * 8u, (uint64_t(kHandler >> 16) << 48) | (0x8Eull << 40) | (0x08ull << 16) | (kHandler & 0xFFFF));
  m.v.s.idtr = {kIdt, 0x7FF};
  FakePic pic;
  pic.vector = kVector;
  Raiser raiser;
  raiser.pic = &pic;
  m.mmio.add(0xE0000000, 0x1000, "raiser", raiser);
  m.io.add(0xE0, 1, "raiser", raiser);
  m.v.intr = &pic;
  m.load(kHandler, {0x89, 0xDA, 0xF4});
  m.load(kCode, code);
  m.v.s.eip = kCode;
  m.v.s.gpr[ESP] = 0x8000;
  write_eflags(m.v.s, 0x2 | IF);
  CHECK(m.run(100000).reason == ExitReason::Halted);
  return {m.reg(EDX), m.reg(EBX), pic.acks};
}

const Interpreter::Options kWays[] = {
    {},                                   // chained, threaded
    {.threaded = false},                  // chained, through the loop
    {.chaining = false},                  // every block through run()
};

}  // namespace

TEST_CASE("chained_run_delivers_an_interrupt_raised_by_an_mmio_write_at_the_next_block_end") {
  // The loop's block ends in a near JMP, so nothing but the MMIO write asks for the check (a
  // HLT there would make the block's end state-changing).
  //    mov ecx,100
  // L: inc ebx; cmp ebx,50; jne S; mov [0xE0000000],eax
  // S: dec ecx; jnz L; jmp D
  // D: hlt
  const std::vector<uint8_t> code = {0xB9, 100, 0, 0, 0, 0x43, 0x83, 0xFB, 50, 0x75, 0x05,
                                     0xA3, 0x00, 0x00, 0x00, 0xE0, 0x49, 0x75, 0xF2, 0xEB, 0x00, 0xF4};
  for (const Interpreter::Options& o : kWays) {
    CAPTURE(o.threaded);
    CAPTURE(o.chaining);
    const Outcome r = run(code, o);
    CHECK(r.acks == 1);
    CHECK(r.edx == 50);  // delivered when the loop's block ended after the write
  }
}

TEST_CASE("chained_run_delivers_an_interrupt_raised_by_a_port_write_at_the_next_block_end") {
  //    mov ecx,100
  // L: inc ebx; cmp ebx,50; jne S; out 0xE0,al
  // S: dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xB9, 100, 0, 0, 0, 0x43, 0x83, 0xFB, 50, 0x75, 0x02,
                                     0xE6, 0xE0, 0x49, 0x75, 0xF5, 0xF4};
  for (const Interpreter::Options& o : kWays) {
    CAPTURE(o.threaded);
    CAPTURE(o.chaining);
    const Outcome r = run(code, o);
    CHECK(r.acks == 1);
    CHECK(r.edx == 50);  // OUT ends its block: delivered right after it
  }
}

TEST_CASE("chained_run_delivers_a_pending_interrupt_after_sti_and_the_shadow") {
  // The port raises the interrupt in every iteration while IF=0; the STI in the 50th (in a
  // block cached and chained long before) lets it in after the instruction that follows.
  //    cli; mov ecx,100
  // L: inc ebx; out 0xE0,al; cmp ebx,50; jne S; sti
  // S: dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xFA, 0xB9, 100, 0, 0, 0, 0x43, 0xE6, 0xE0, 0x83, 0xFB, 50,
                                     0x75, 0x01, 0xFB, 0x49, 0x75, 0xF4, 0xF4};
  for (const Interpreter::Options& o : kWays) {
    CAPTURE(o.threaded);
    CAPTURE(o.chaining);
    const Outcome r = run(code, o);
    CHECK(r.acks == 1);
    CHECK(r.edx == 50);
  }
}
