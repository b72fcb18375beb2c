// Fault: a guest architectural event raised by an instruction, returned by value.
//
// Semantics never throw or longjmp: a function that can fault returns Fault, and the caller
// passes it up with VMLAB_TRY. The execution core delivers it (exceptions.cpp), which applies
// the double-fault and triple-fault rules.
//
//   Fault read_something(Vcpu& v, uint32_t& out) {
//     VMLAB_TRY(read_mem<uint32_t>(v, DS, addr, out));
//     if (out == 0) return fault_gp(0);
//     return kNoFault;
//   }
#pragma once
#include <cstdint>

namespace vmlab::cpu {

enum Vector : uint8_t {
  kDE = 0, kDB = 1, kNMI = 2, kBP = 3, kOF = 4, kBR = 5, kUD = 6, kNM = 7, kDF = 8,
  kTS = 10, kNP = 11, kSS = 12, kGP = 13, kPF = 14, kMF = 16, kAC = 17, kMC = 18, kXM = 19,
};
inline constexpr uint8_t kNoVector = 0xFF;

struct [[nodiscard]] Fault {
  uint8_t vector = kNoVector;
  bool has_error = false;
  uint32_t error = 0;
  explicit operator bool() const { return vector != kNoVector; }
};

inline constexpr Fault kNoFault{};

// Not an exception. A handler of an instruction that may sit inside a decoded block returns it
// when it moved EIP elsewhere than the next instruction: a taken Jcc, LOOP or JCXZ, and a REP
// slice that leaves EIP on the string instruction. The interpreter's loop then leaves the block
// without having to compare EIP after every instruction. Only that loop (cpu/interpreter.cpp)
// ever receives it: these handlers are called from nowhere else. (Instructions of the other
// classes end their block, so they move EIP with a plain kNoFault.)
inline constexpr uint8_t kEipMovedVector = 0xFE;
inline constexpr Fault kEipMoved{kEipMovedVector, false, 0};
inline constexpr Fault make_fault(uint8_t v) { return Fault{v, false, 0}; }
inline constexpr Fault make_fault(uint8_t v, uint32_t err) { return Fault{v, true, err}; }
inline constexpr Fault fault_gp(uint32_t err) { return make_fault(kGP, err); }
inline constexpr Fault fault_ss(uint32_t err) { return make_fault(kSS, err); }
inline constexpr Fault fault_np(uint32_t err) { return make_fault(kNP, err); }
inline constexpr Fault fault_ts(uint32_t err) { return make_fault(kTS, err); }
inline constexpr Fault fault_ud() { return make_fault(kUD); }

// Does `v` push an error code when raised as an exception? (SDM Vol. 3, Table 6-1)
inline constexpr bool vector_has_error_code(uint8_t v) {
  return v == kDF || v == kTS || v == kNP || v == kSS || v == kGP || v == kPF || v == kAC;
}

}  // namespace vmlab::cpu

#define VMLAB_TRY(expr)                                  \
  do {                                                   \
    if (::vmlab::cpu::Fault vmlab_f_ = (expr)) return vmlab_f_; \
  } while (0)
