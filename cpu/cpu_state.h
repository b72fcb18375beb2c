// CpuState: the complete architectural state of one x86 (i686-class) CPU, as plain data.
//
// Nothing else holds architectural state: the interpreter, the translator and the KVM core all
// read and write this struct, snapshots copy it byte for byte, and switching technique moves it.
// Host machinery (TLB, decoded-instruction cache, threads) lives in Vcpu, never here.
//
//   CpuState s{};            // power-on values come from reset_cpu_state()
//   reset_cpu_state(s);
//   s.gpr[EAX] = 1;
//   uint32_t fl = read_eflags(s);   // flags are kept lazily; see flags.h
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include "cpu/fpu_state.h"

namespace vmlab::cpu {

enum Gpr : uint8_t { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS, kNumSegRegs, kNoSeg = 0xFF };

// EFLAGS bits.
inline constexpr uint32_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
                          TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11,
                          IOPL_MASK = 3u << 12, NT = 1u << 14, RF = 1u << 16, VM = 1u << 17,
                          AC = 1u << 18, VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
inline constexpr uint32_t kArithFlags = CF | PF | AF | ZF | SF | OF;

// CR0 / CR4 / EFER bits.
inline constexpr uint32_t CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3,
                          CR0_ET = 1u << 4, CR0_NE = 1u << 5, CR0_WP = 1u << 16,
                          CR0_AM = 1u << 18, CR0_NW = 1u << 29, CR0_CD = 1u << 30,
                          CR0_PG = 1u << 31;
inline constexpr uint32_t CR4_VME = 1u << 0, CR4_PVI = 1u << 1, CR4_TSD = 1u << 2,
                          CR4_DE = 1u << 3, CR4_PSE = 1u << 4, CR4_PAE = 1u << 5,
                          CR4_MCE = 1u << 6, CR4_PGE = 1u << 7, CR4_PCE = 1u << 8,
                          CR4_OSFXSR = 1u << 9, CR4_OSXMMEXCPT = 1u << 10;
inline constexpr uint64_t EFER_NXE = 1ull << 11;

// A segment register with its hidden descriptor cache, as the CPU keeps it after a load.
struct SegmentCache {
  uint16_t selector = 0;
  uint32_t base = 0;
  uint32_t limit = 0xFFFF;  // byte granular: already scaled by G
  // Descriptor attribute bits in descriptor layout: bits 0-7 = access byte (type, S, DPL, P),
  // bits 8-11 = flags nibble (AVL, L, D/B, G). Real mode loads give 0x0093 (data) style values.
  uint16_t attr = 0x0093;
};

// Attribute helpers on SegmentCache::attr.
inline constexpr uint16_t SEG_ACCESSED = 1u << 0, SEG_RW = 1u << 1, SEG_DC = 1u << 2,
                          SEG_CODE = 1u << 3, SEG_S = 1u << 4, SEG_P = 1u << 7,
                          SEG_AVL = 1u << 8, SEG_DB = 1u << 10, SEG_G = 1u << 11;
inline constexpr unsigned seg_dpl(uint16_t attr) { return (attr >> 5) & 3; }
inline constexpr unsigned seg_type(uint16_t attr) { return attr & 0xF; }

struct DescriptorTableReg {
  uint32_t base = 0;
  uint16_t limit = 0xFFFF;
};

// Lazily evaluated arithmetic flags (CF PF AF ZF SF OF); see flags.h for the encoding.
struct LazyFlags {
  uint32_t result = 0;  // the last result, sign-extended to 32 bits (gives ZF, SF, PF)
  uint32_t aux = 0;     // bit31 CF, bit30 CF^OF, bit3 AF, bits 8-15 parity delta, bit0 SF delta
};

// Events that are architecturally pending between instructions.
struct PendingEvents {
  uint8_t interrupt_shadow = 0;  // 1 after STI / MOV SS / POP SS: no interrupts for one insn
  uint8_t nmi_pending = 0;
  uint8_t nmi_blocked = 0;       // from NMI delivery until the next IRET
  uint8_t halted = 0;            // HLT executed, waiting for an interrupt
  uint8_t in_double_fault = 0;   // delivering #DF: another contributory fault is a triple fault
  uint8_t pad[3] = {};
};

// Model-specific registers that hold state (the rest answer from the CPU model in cpu/msr).
struct MsrState {
  uint64_t tsc_offset = 0;       // guest TSC = virtual clock ticks + tsc_offset
  uint64_t apic_base = 0xFEE00900;  // BSP, enabled, default base
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t pat = 0x0007040600070406ull;
  uint64_t efer = 0;
  uint64_t mtrr_def_type = 0;
  uint64_t mtrr_fixed[11] = {};
  uint64_t mtrr_var[16] = {};    // base/mask pairs for 8 variable ranges
  uint64_t misc_enable = 1;      // fast strings
};

struct CpuState {
  uint32_t gpr[8] = {};          // EAX ECX EDX EBX ESP EBP ESI EDI
  uint32_t eip = 0xFFF0;
  uint32_t eflags = 0x2;         // non-arithmetic bits; arithmetic bits live in `lazy`
  LazyFlags lazy{};
  SegmentCache seg[kNumSegRegs]{};
  SegmentCache ldtr{}, tr{};
  DescriptorTableReg gdtr{}, idtr{};
  uint32_t cr0 = CR0_ET | CR0_CD | CR0_NW;
  uint32_t cr2 = 0, cr3 = 0, cr4 = 0;
  uint32_t dr[8] = {0, 0, 0, 0, 0xFFFF0FF0, 0x400, 0xFFFF0FF0, 0x400};  // DR4/5 alias 6/7
  MsrState msr{};
  FpuState fpu{};               // x87 / MMX / SSE registers (cpu/fpu_state.h)
  PendingEvents events{};
  uint8_t cpl = 0;               // current privilege level (CS.RPL in protected mode, 3 in V86)
  uint8_t a20_pad[3] = {};
  uint64_t instructions_retired = 0;  // drives the deterministic clock and RDTSC
};

static_assert(std::is_trivially_copyable_v<CpuState>, "CpuState must be plain data");
static_assert(std::is_standard_layout_v<CpuState>, "generated code addresses fields by offsetof");

// Power-on / RESET values (Intel SDM Vol. 3, 9.1.1), CS base 0xFFFF0000 so the first fetch is
// at 0xFFFFFFF0.
void reset_cpu_state(CpuState& s);

// Mode predicates used everywhere.
inline bool protected_mode(const CpuState& s) { return s.cr0 & CR0_PE; }
inline bool v86_mode(const CpuState& s) { return (s.cr0 & CR0_PE) && (s.eflags & VM); }
inline bool real_mode(const CpuState& s) { return !(s.cr0 & CR0_PE); }
inline bool paging_enabled(const CpuState& s) { return (s.cr0 & (CR0_PG | CR0_PE)) == (CR0_PG | CR0_PE); }
inline bool code32(const CpuState& s) { return s.seg[CS].attr & SEG_DB; }
inline bool stack32(const CpuState& s) { return s.seg[SS].attr & SEG_DB; }
// CPL and code size: what, besides the linear address, selects a decoded block and the code
// made for it (the interpreter's jump cache and chain links, bt's links).
inline uint32_t code_mode(const CpuState& s) { return s.cpl | (code32(s) ? 4u : 0u); }
inline unsigned iopl(const CpuState& s) { return (s.eflags >> 12) & 3; }

}  // namespace vmlab::cpu
