// RDRAND and RDSEED (0F C7 /6 and /7 with a register operand). vmlab's CPU model does not
// advertise them (CPUID.1:ECX[30], CPUID.7:EBX[18] are 0), so on the interpreter they raise #UD
// as on a CPU without them. They run only when Vcpu::rdrand_executes says so: the KVM core's
// fallback interpreter sets it, because a host KVM may show the guest its own CPUID (kvm-pvm
// passes the host's leaf 1 through), the guest then uses RDRAND, and kvm-pvm's ring-0 emulator
// stops on it with an emulation failure (docs/kvm.md).
#pragma once
#include <sys/random.h>

#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

// A = 0 RDRAND, 1 RDSEED: the host's random bytes, CF = 1 (a value is ready), OF SF ZF AF PF = 0.
// Should the host have no randomness to give, CF = 0 and the register is 0, which the SDM
// allows (software retries).
template <typename T, int> Fault rdrand(Vcpu& v, const Insn& i) {
  if (i.is_mem || !v.rdrand_executes) return fault_ud();
  T value = 0;
  const bool ok = getrandom(&value, sizeof(T), GRND_NONBLOCK) == ssize_t(sizeof(T));
  if (!ok) value = 0;
  set_reg<T>(v.s, i.rm, value);
  update_flags(v.s.lazy, CF | OF | SF | ZF | AF | PF, ok ? CF : 0);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
