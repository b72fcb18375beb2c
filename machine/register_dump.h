// Human-readable CPU register dump (triple fault with -no-reboot, internal errors), laid out
// like QEMU's "info registers" so students can compare the two.
#pragma once
#include <string>
#include "cpu/cpu_state.h"

namespace vmlab::machine {

std::string format_registers(const cpu::CpuState& s);

}  // namespace vmlab::machine
