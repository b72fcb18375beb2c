// Flat segments in threaded blocks (ThreadedRun::flat_tlb): while ES, SS and DS are flat the
// threaded fast handlers skip the segment checks. Each test changes what that rests on in the
// middle of a run (a segment load, an FS override, POPF setting EFLAGS.AC, an offset that
// wraps past 4 GiB) and checks that threaded blocks give what the interpreter's loop gives,
// and what the architecture says.
#include <doctest/doctest.h>

#include <vector>

#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kCode = 0x10000, kGdt = 0x500;
constexpr uint16_t kFlatData = 0x10, kBasedData = 0x18;

struct Outcome {
  ExitReason reason;
  uint32_t eip, eax, ebx;
  uint64_t retired, threaded_blocks;
};

uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t(limit & 0xFFFF)) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
         (uint64_t((limit >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) |
         (uint64_t(base >> 24) << 56);
}

// Flat 32-bit ring 0 with a GDT: 0x08 flat code, 0x10 flat data, 0x18 data at base 0x4000 with
// a limit of 0x17FF (byte granular, inside a page, so that an access past it can still hit in
// the TLB when read as flat). Memory: [0x1000] = 5, [0x5000] = 3 (0x4000 + 0x1000).
void setup(TestMachine& m) {
  m.flat32();
  auto put64 = [&](uint32_t pa, uint64_t d) { m.poke32(pa, uint32_t(d)); m.poke32(pa + 4, uint32_t(d >> 32)); };
  put64(kGdt + 0x08, descriptor(0, 0xFFFFF, 0x9B, 0xC));
  put64(kGdt + 0x10, descriptor(0, 0xFFFFF, 0x93, 0xC));
  put64(kGdt + 0x18, descriptor(0x4000, 0x17FF, 0x93, 0x4));
  m.v.s.gdtr = {kGdt, 0x1F};
  m.v.s.idtr = {0, 0};  // any exception ends in a triple fault: the exit says where
  m.poke32(0x1000, 5);
  m.poke32(0x5000, 3);
}

// Runs `code` at kCode twice (the second run finds the blocks cached and chained); `prepare`
// may change the machine further, EIP included.
Outcome run(const std::vector<uint8_t>& code, bool threaded, void (*prepare)(TestMachine&) = nullptr) {
  Interpreter::Options o;
  o.threaded = threaded;
  TestMachine m(o);
  setup(m);
  m.load(kCode, code);
  Exit e;
  for (int pass = 0; pass < 2; ++pass) {
    setup(m);
    m.v.s.eip = kCode;
    if (prepare) prepare(m);
    m.v.s.gpr[ESP] = 0x8000;
    m.v.s.events.halted = 0;
    m.v.attention.store(0);  // a triple fault in the first pass asked for a shutdown
    for (uint8_t r : {EAX, EBX, ECX}) m.v.s.gpr[r] = 0;
    e = m.run(100000);
  }
  return {e.reason, m.v.s.eip, m.reg(EAX), m.reg(EBX), m.v.s.instructions_retired,
          m.core.threaded_blocks()};
}

void check_same(const Outcome& t, const Outcome& l) {
  CHECK(int(t.reason) == int(l.reason));
  CHECK(t.eip == l.eip);
  CHECK(t.eax == l.eax);
  CHECK(t.ebx == l.ebx);
  CHECK(t.retired == l.retired);
  CHECK(t.threaded_blocks > 0);
}

}  // namespace

TEST_CASE("flat_segments_a_ds_load_between_blocks_brings_back_the_segment_base") {
  // mov ebp,0x10; mov edi,0x18; mov ecx,20
  // L: mov ds,edi; add eax,[0x1000]   <- DS base 0x4000: reads 3
  //    mov ds,ebp; add ebx,[0x1000]   <- flat again: reads 5
  //    dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xBD, kFlatData, 0, 0, 0, 0xBF, kBasedData, 0, 0, 0, 0xB9, 20, 0, 0, 0,
                                     0x8E, 0xDF, 0x03, 0x05, 0x00, 0x10, 0x00, 0x00,
                                     0x8E, 0xDD, 0x03, 0x1D, 0x00, 0x10, 0x00, 0x00,
                                     0x49, 0x75, 0xED, 0xF4};
  const Outcome t = run(code, true), l = run(code, false);
  CHECK(t.reason == ExitReason::Halted);
  CHECK(t.eax == 20 * 3);
  CHECK(t.ebx == 20 * 5);
  check_same(t, l);
}

TEST_CASE("flat_segments_a_ds_load_brings_back_the_limit_check") {
  // A loop whose blocks chain: DS flat, a load that puts page 0x1000 in the TLB, DS limited to
  // 0x17FF, a load at EDX = 0, 0xBFF, 0x17FE: the third is past the limit (#GP), although
  // offset 0x17FE read flat would hit in the TLB.
  //    mov edi,0x18; mov ebp,0x10; mov ecx,3; xor edx,edx
  // L: mov ds,ebp; mov eax,[0x1FFC]; mov ds,edi; mov ebx,[edx]; add edx,0xBFF; dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xBF, kBasedData, 0, 0, 0, 0xBD, kFlatData, 0, 0, 0, 0xB9, 3, 0, 0, 0,
                                     0x31, 0xD2, 0x8E, 0xDD, 0xA1, 0xFC, 0x1F, 0x00, 0x00, 0x8E, 0xDF,
                                     0x8B, 0x1A, 0x81, 0xC2, 0xFF, 0x0B, 0x00, 0x00, 0x49, 0x75, 0xEC, 0xF4};
  const Outcome t = run(code, true), l = run(code, false);
  CHECK(t.reason == ExitReason::Shutdown);
  CHECK(t.eip == kCode + 26);  // on the load, in the third iteration
  CHECK(t.retired == l.retired);
  check_same(t, l);
}

TEST_CASE("flat_segments_an_fs_override_uses_fs_while_ds_is_flat") {
  // mov ecx,10; L: add eax,fs:[0x1000]; add ebx,[0x1000]; dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xB9, 10, 0, 0, 0, 0x64, 0x03, 0x05, 0x00, 0x10, 0x00, 0x00,
                                     0x03, 0x1D, 0x00, 0x10, 0x00, 0x00, 0x49, 0x75, 0xF0, 0xF4};
  auto based_fs = [](TestMachine& m) { m.v.s.seg[FS] = SegmentCache{kBasedData, 0x4000, 0x17FF, 0x4093}; };
  const Outcome t = run(code, true, based_fs), l = run(code, false, based_fs);
  CHECK(t.reason == ExitReason::Halted);
  CHECK(t.eax == 10 * 3);
  CHECK(t.ebx == 10 * 5);
  check_same(t, l);
}

TEST_CASE("flat_segments_popf_setting_ac_at_cpl_3_brings_back_the_alignment_check") {
  // At CPL 3 with CR0.AM: mov eax,[0x0FFF] (AC clear: fine); pushfd; or dword [esp],0x40000;
  // popfd; mov ebx,[0x1001] -> #AC; hlt (at CPL 3 a #GP, at a different EIP)
  const std::vector<uint8_t> code = {0xA1, 0xFF, 0x0F, 0x00, 0x00, 0x9C, 0x81, 0x0C, 0x24, 0x00, 0x00,
                                     0x04, 0x00, 0x9D, 0x8B, 0x1D, 0x01, 0x10, 0x00, 0x00, 0xF4};
  auto ring3_am = [](TestMachine& m) {
    m.v.s.seg[CS] = SegmentCache{0x08 | 3, 0, 0xFFFFFFFF, 0x0CFB};
    for (uint8_t sg : {ES, SS, DS}) m.v.s.seg[sg] = SegmentCache{0x10 | 3, 0, 0xFFFFFFFF, 0x0CF3};
    m.v.s.cpl = 3;
    m.v.s.cr0 |= CR0_AM;
    m.v.s.eflags &= ~AC;  // the first pass's POPF set it
  };
  const Outcome t = run(code, true, ring3_am), l = run(code, false, ring3_am);
  CHECK(t.reason == ExitReason::Shutdown);
  CHECK(t.eip == kCode + 14);  // on the misaligned load
  CHECK(t.eax == 0x00000500);  // the first load ran, misaligned without #AC: bytes 0x0FFF..0x1002
  CHECK(t.ebx == 0);
  check_same(t, l);
}

TEST_CASE("flat_segments_an_offset_that_wraps_past_4_gib_faults") {
  // mov eax,[0x1000]; mov ebx,[0xFFFFFFFE] -> #GP: the 4 GiB limit holds only 2 of its 4 bytes
  const std::vector<uint8_t> code = {0xA1, 0x00, 0x10, 0x00, 0x00, 0x8B, 0x1D, 0xFE, 0xFF, 0xFF, 0xFF, 0xF4};
  const Outcome t = run(code, true), l = run(code, false);
  CHECK(t.reason == ExitReason::Shutdown);
  CHECK(t.eip == kCode + 5);
  CHECK(t.eax == 5);
  check_same(t, l);
}

TEST_CASE("flat_segments_off_switch_gives_the_same_results") {
  const std::vector<uint8_t> code = {0xBD, kFlatData, 0, 0, 0, 0xBF, kBasedData, 0, 0, 0, 0xB9, 20, 0, 0, 0,
                                     0x8E, 0xDF, 0x03, 0x05, 0x00, 0x10, 0x00, 0x00,
                                     0x8E, 0xDD, 0x03, 0x1D, 0x00, 0x10, 0x00, 0x00,
                                     0x49, 0x75, 0xED, 0xF4};
  Interpreter::Options o;
  o.flat_segments = false;
  TestMachine m(o);
  setup(m);
  m.load(kCode, code);
  m.v.s.eip = kCode;
  CHECK(m.run(100000).reason == ExitReason::Halted);
  CHECK(m.reg(EAX) == 20 * 3);
  CHECK(m.reg(EBX) == 20 * 5);
  CHECK(m.core.threaded_blocks() > 0);
}

TEST_CASE("flat_segments_a_ds_load_in_16_bit_code_is_seen_by_the_32_bit_code_after_it") {
  // 16-bit code (CS.D = 0, run through the loop): mov bx,[0x1000] (flat: puts the page in the
  // TLB); mov ax,0x18; mov ds,ax; jmp far 0x08:kCode+0x100
  // 32-bit code there: mov eax,[0x1000] (DS base 0x4000: reads 3, not the flat 5); hlt
  std::vector<uint8_t> code = {0x8B, 0x1E, 0x00, 0x10, 0xB8, kBasedData, 0x00, 0x8E, 0xD8,
                               0x66, 0xEA, 0x00, 0x01, 0x01, 0x00, 0x08, 0x00};
  code.resize(0x100, 0x90);
  for (uint8_t b : {0xA1, 0x00, 0x10, 0x00, 0x00, 0xF4}) code.push_back(b);
  auto code16 = [](TestMachine& m) {
    m.v.s.seg[CS] = SegmentCache{0x20, kCode, 0xFFFF, 0x009B};
    m.v.s.eip = 0;
  };
  const Outcome t = run(code, true, code16), l = run(code, false, code16);
  CHECK(t.reason == ExitReason::Halted);
  CHECK(t.eax == 3);
  check_same(t, l);
}
