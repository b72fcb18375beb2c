// Small programs on the interpreter: stack and calls, string instructions with REP (including a
// fault half-way and the resume), self-modifying code, interrupts, the STI shadow, single-step,
// I/O, and the off switches giving the same results (cpu/interpreter.cpp).
#include <doctest/doctest.h>
#include <vector>
#include "machine/irq.h"
#include "tests/cpu/fake_interrupt_source.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab;
using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

// IVT entry `vec` -> 0000:handler
void set_ivt(TestMachine& m, uint8_t vec, uint16_t handler) { m.poke32(vec * 4u, handler); }

using FakePic = test::FakeInterruptSource;

struct Port80 : machine::BusDevice {
  std::vector<uint32_t> writes;
  uint32_t read(uint64_t, unsigned) override { return 0x5A; }
  void write(uint64_t, unsigned, uint32_t v) override { writes.push_back(v); }
};

const Interpreter::Options kAllOptions[] = {
    {.decode_cache = true, .blocks = true},
    {.decode_cache = false, .blocks = true},
    {.decode_cache = true, .blocks = false},
    {.decode_cache = false, .blocks = false},
};

}  // namespace

TEST_CASE("near_call_and_ret_in_real_mode") {
  for (auto o : kAllOptions) {
    TestMachine m(o);
    // call +3; hlt; (pad) ; inc ax; ret
    m.load(0x100, {0xE8, 0x01, 0x00, 0xF4, 0x40, 0xC3});
    CHECK(m.run(100).reason == ExitReason::Halted);
    CHECK(m.reg(EAX) == 1);
    CHECK(m.v.s.eip == 0x104);
    CHECK(m.reg(ESP) == 0xFFF0);
  }
}

TEST_CASE("push_sp_pushes_the_value_before_the_push") {
  TestMachine m;
  m.load(0x100, {0x54, 0xF4});
  m.run(10);
  CHECK(m.reg(ESP) == 0xFFEE);
  CHECK(m.peek16(0xFFEE) == 0xFFF0);
}

TEST_CASE("pusha_popa_round_trip_and_enter_leave") {
  TestMachine m;
  // pusha; xor ax,ax; xor bx,bx; popa; enter 8,0; leave; hlt
  m.load(0x100, {0x60, 0x31, 0xC0, 0x31, 0xDB, 0x61, 0xC8, 0x08, 0x00, 0x00, 0xC9, 0xF4});
  m.v.s.gpr[EAX] = 0x1111;
  m.v.s.gpr[EBX] = 0x2222;
  m.v.s.gpr[EBP] = 0x3333;
  m.run(100);
  CHECK(m.reg(EAX) == 0x1111);
  CHECK(m.reg(EBX) == 0x2222);
  CHECK(m.reg(EBP) == 0x3333);
  CHECK(m.reg(ESP) == 0xFFF0);
}

TEST_CASE("rep_movsb_copies_and_rep_stosw_fills") {
  for (auto o : kAllOptions) {
    TestMachine m(o);
    m.load(0x2000, {1, 2, 3, 4, 5, 6, 7, 8});
    // mov si,0x2000; mov di,0x3000; mov cx,8; rep movsb; mov ax,0xABCD; mov cx,4; rep stosw; hlt
    m.load(0x100, {0xBE, 0x00, 0x20, 0xBF, 0x00, 0x30, 0xB9, 0x08, 0x00, 0xF3, 0xA4,
                   0xB8, 0xCD, 0xAB, 0xB9, 0x04, 0x00, 0xF3, 0xAB, 0xF4});
    CHECK(m.run(1000).reason == ExitReason::Halted);
    for (uint32_t k = 0; k < 8; ++k) CHECK(m.peek8(0x3000 + k) == k + 1);
    CHECK(m.peek16(0x3008) == 0xABCD);
    CHECK(m.peek16(0x300E) == 0xABCD);
    CHECK(m.reg(EDI) == 0x3010);
    CHECK(m.reg(ECX) == 0);
  }
}

TEST_CASE("repe_cmpsb_stops_at_the_first_difference") {
  TestMachine m;
  m.load(0x2000, {'a', 'b', 'c', 'd'});
  m.load(0x3000, {'a', 'b', 'x', 'd'});
  m.load(0x100, {0xBE, 0x00, 0x20, 0xBF, 0x00, 0x30, 0xB9, 0x04, 0x00, 0xF3, 0xA6, 0xF4});
  m.run(100);
  CHECK(m.reg(ECX) == 1);
  CHECK(m.reg(ESI) == 0x2003);
  CHECK(!(m.flags() & ZF));
}

TEST_CASE("rep_movs_that_faults_half_way_resumes_after_the_fault") {
  for (auto o : kAllOptions) {
    TestMachine m(o);
    std::vector<uint8_t> src(16);
    for (unsigned k = 0; k < 16; ++k) src[k] = uint8_t(0xA0 + k);
    m.load(0x5000, src);
    set_ivt(m, kGP, 0x300);
    m.load(0x300, {0xF4, 0xCF});  // #GP handler: hlt; iret
    // ES limit 0x1FFF: the 9th byte (DI = 0x2000) is beyond it.
    m.v.s.seg[ES].limit = 0x1FFF;
    // mov si,0x5000; mov di,0x1FF8; mov cx,16; rep movsb; hlt
    m.load(0x100, {0xBE, 0x00, 0x50, 0xBF, 0xF8, 0x1F, 0xB9, 0x10, 0x00, 0xF3, 0xA4, 0xF4});
    CHECK(m.run(1000).reason == ExitReason::Halted);
    CHECK(m.v.counters.exceptions[kGP] == 1);
    CHECK(m.v.s.eip == 0x301);  // in the handler
    // Registers as after the 8th iteration; the pushed IP is the REP MOVSB.
    CHECK(m.reg(ECX) == 8);
    CHECK(m.reg(EDI) == 0x2000);
    CHECK(m.reg(ESI) == 0x5008);
    CHECK(m.peek16(0xFFF0 - 6) == 0x109);
    CHECK(m.peek8(0x1FFF) == 0xA7);
    CHECK(m.peek8(0x2000) == 0);
    // Fix the cause, return with IRET: the instruction continues where it stopped.
    m.v.s.seg[ES].limit = 0xFFFF;
    m.v.s.events.halted = 0;
    CHECK(m.run(1000).reason == ExitReason::Halted);
    CHECK(m.v.s.eip == 0x10C);
    CHECK(m.reg(ECX) == 0);
    for (unsigned k = 0; k < 16; ++k) CHECK(m.peek8(0x1FF8 + k) == 0xA0 + k);
  }
}

TEST_CASE("long_rep_stos_is_interruptible_and_completes") {
  TestMachine m;
  FakePic pic;
  m.v.intr = &pic;
  set_ivt(m, 0x20, 0x300);
  m.load(0x300, {0xCF});  // iret
  // cld; mov ax,0x0101; xor di,di... es=0x1000: rep stosw of 0x8000 words
  m.v.s.seg[ES] = SegmentCache{0x1000, 0x10000, 0xFFFF, 0x0093};
  m.load(0x100, {0xFC, 0xB8, 0x01, 0x01, 0x31, 0xFF, 0xB9, 0x00, 0x80, 0xF3, 0xAB, 0xF4});
  write_eflags(m.v.s, 0x2 | IF);
  m.run(5);  // reaches the REP STOSW and runs one slice of it
  pic.pending = true;
  CHECK(m.run(100000).reason == ExitReason::Halted);
  CHECK(pic.acks == 1);
  CHECK(m.reg(ECX) == 0);
  CHECK(m.peek16(0x10000) == 0x0101);
  CHECK(m.peek16(0x1FFFE) == 0x0101);
}

TEST_CASE("self_modifying_code_takes_effect_for_the_next_instruction") {
  for (auto o : kAllOptions) {
    TestMachine m(o);
    // mov byte [0x106], 0x2A; mov al, 0 (immediate patched to 0x2A); hlt
    m.load(0x100, {0xC6, 0x06, 0x06, 0x01, 0x2A, 0xB0, 0x00, 0xF4});
    CHECK(m.run(100).reason == ExitReason::Halted);
    CHECK((m.reg(EAX) & 0xFF) == 0x2A);
  }
}

TEST_CASE("code_rewritten_between_runs_is_decoded_again") {
  TestMachine m;
  m.load(0x100, {0xB0, 0x01, 0xF4});  // mov al,1; hlt
  m.run(10);
  CHECK((m.reg(EAX) & 0xFF) == 1);
  CHECK(m.core.cached_blocks() > 0);
  m.load(0x100, {0xB0, 0x07, 0xF4});  // a DMA/loader write to the cached page
  m.v.s.eip = 0x100;
  m.v.s.events.halted = 0;
  m.run(10);
  CHECK((m.reg(EAX) & 0xFF) == 7);
  CHECK(m.core.invalidations() > 0);
  CHECK(m.v.counters.decode_cache_invalidations > 0);
}

TEST_CASE("external_interrupt_waits_for_the_sti_shadow") {
  TestMachine m;
  FakePic pic;
  pic.pending = true;
  m.v.intr = &pic;
  set_ivt(m, 0x20, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0xFB, 0x90, 0x90, 0xF4});  // sti; nop; nop; hlt (IF was 0)
  m.run(100);
  CHECK(pic.acks == 1);
  CHECK(m.v.s.eip == 0x301);
  CHECK(m.peek16(0xFFF0 - 6) == 0x102);  // delivered after the instruction following STI
}

TEST_CASE("hlt_exits_halted_and_an_interrupt_wakes_it") {
  TestMachine m;
  FakePic pic;
  m.v.intr = &pic;
  set_ivt(m, 0x20, 0x300);
  m.load(0x300, {0xCF});                          // iret
  m.load(0x100, {0xF4, 0x40, 0xF4});              // hlt; inc ax; hlt
  write_eflags(m.v.s, 0x2 | IF);
  CHECK(m.run(100).reason == ExitReason::Halted);
  CHECK(m.run(100).reason == ExitReason::Halted);  // nothing pending: stays halted
  CHECK(m.v.s.eip == 0x101);
  pic.pending = true;
  CHECK(m.run(100).reason == ExitReason::Halted);
  CHECK(m.reg(EAX) == 1);
  CHECK(m.v.s.eip == 0x103);
}

TEST_CASE("trap_flag_raises_debug_trap_after_one_instruction") {
  TestMachine m;
  set_ivt(m, kDB, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0x90, 0x90, 0xF4});
  write_eflags(m.v.s, 0x2 | TF);
  m.run(100);
  CHECK(m.v.s.eip == 0x301);
  CHECK(m.peek16(0xFFF0 - 6) == 0x101);
  CHECK((m.v.s.dr[6] & 0x4000));
}

TEST_CASE("in_and_out_reach_the_io_bus") {
  TestMachine m;
  Port80 dev;
  m.io.add(0x80, 1, "port80", dev);
  m.load(0x100, {0xE4, 0x80, 0x04, 0x01, 0xE6, 0x80, 0xF4});  // in al,80h; add al,1; out 80h,al
  m.run(10);
  REQUIRE(dev.writes.size() == 1);
  CHECK(dev.writes[0] == 0x5B);
  CHECK(m.v.counters.io_reads == 1);
  CHECK(m.v.counters.io_writes == 1);
}

TEST_CASE("undefined_opcode_raises_ud_with_eip_at_the_instruction") {
  TestMachine m;
  set_ivt(m, kUD, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0x90, 0x0F, 0x0B});  // nop; ud2
  m.run(10);
  CHECK(m.v.counters.exceptions[kUD] == 1);
  CHECK(m.peek16(0xFFF0 - 6) == 0x101);
}

TEST_CASE("word_access_at_offset_ffff_faults_in_real_mode") {
  TestMachine m;
  set_ivt(m, kGP, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0x8B, 0x1E, 0xFF, 0xFF});  // mov bx, [0xFFFF]
  m.run(10);
  CHECK(m.v.counters.exceptions[kGP] == 1);
}

TEST_CASE("budget_spent_exit_counts_instructions") {
  TestMachine m;
  m.load(0x100, {0xEB, 0xFE});  // jmp $
  Exit e = m.run(1000);
  CHECK(e.reason == ExitReason::BudgetSpent);
  CHECK(e.executed == 1000);
  CHECK(m.v.s.instructions_retired == 1000);
}

TEST_CASE("attention_stop_returns_before_executing") {
  TestMachine m;
  m.load(0x100, {0xEB, 0xFE});
  m.v.attention.store(kAttnStop);
  Exit e = m.run(1000);
  CHECK(e.reason == ExitReason::Attention);
  CHECK(e.executed == 0);
}

TEST_CASE("flat_32_bit_code_with_sib_addressing_and_stack") {
  TestMachine m;
  m.flat32();
  // mov ebx, 0x4000; mov esi, 2; mov dword [ebx+esi*4+8], 0x11223344; push dword [ebx+16];
  // pop eax; hlt
  m.load(0x1000, {0xBB, 0x00, 0x40, 0x00, 0x00, 0xBE, 0x02, 0x00, 0x00, 0x00, 0xC7, 0x44,
                  0xB3, 0x08, 0x44, 0x33, 0x22, 0x11, 0xFF, 0x73, 0x10, 0x58, 0xF4});
  m.v.s.eip = 0x1000;
  m.v.s.gpr[ESP] = 0x8000;
  CHECK(m.run(100).reason == ExitReason::Halted);
  CHECK(m.reg(EAX) == 0x11223344);
  CHECK(m.peek32(0x4010) == 0x11223344);
  CHECK(m.reg(ESP) == 0x8000);
}

TEST_CASE("write_to_read_only_data_segment_in_protected_mode_is_gp") {
  TestMachine m;
  m.flat32();
  m.v.s.seg[DS].attr = 0x0C91;  // read-only data
  // IDT is not set up: the #GP turns into #DF then shutdown, which is all this test needs.
  m.load(0x1000, {0xC7, 0x05, 0x00, 0x40, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xF4});
  m.v.s.eip = 0x1000;
  m.run(10);
  CHECK(m.v.counters.exceptions[kGP] >= 1);
  CHECK(m.peek32(0x4000) == 0);
}

TEST_CASE("handler_that_faults_forever_still_returns_when_the_budget_is_spent") {
  TestMachine m;
  set_ivt(m, kUD, 0x300);
  m.load(0x300, {0x0F, 0x0B});  // the #UD handler is UD2 itself
  m.load(0x100, {0x0F, 0x0B});
  Exit e = m.run(500);
  CHECK(e.reason == ExitReason::BudgetSpent);
  CHECK(e.executed == 0);
  CHECK(m.v.counters.exceptions[kUD] == 500);
}

TEST_CASE("enter_with_nesting_level_copies_the_outer_frame_pointers") {
  TestMachine m;
  m.load(0x100, {0xC8, 0x04, 0x00, 0x02, 0xF4});  // enter 4, 2
  m.v.s.gpr[EBP] = 0x2000;
  m.v.s.gpr[ESP] = 0x1000;
  m.load(0x1FFE, {0xAA, 0xAA});
  m.run(10);
  CHECK(m.peek16(0xFFE) == 0x2000);  // old BP
  CHECK(m.peek16(0xFFC) == 0xAAAA);  // the outer frame's pointer
  CHECK(m.peek16(0xFFA) == 0x0FFE);  // this frame
  CHECK(m.reg(EBP) == 0x0FFE);
  CHECK(m.reg(ESP) == 0x0FF6);
}
