// Random guest code for the fuzzer: bytes biased towards what reaches the interesting checks
// (prefixes, 0F system opcodes, ModRM memory operands, segment loads with chosen selectors,
// INT n / IRET / far transfers / task switches, MOV CRn, string ops, I/O), mixed with plain
// random bytes. It emits byte patterns, not a checked instruction stream: a pattern the decoder
// splits differently is just more random input.
//
//   Rng rng(seed);
//   std::vector<uint8_t> page(4096);
//   generate_code(rng, CodeFlavor{.code32 = true}, page);
#pragma once
#include <cstdint>
#include <span>

#include "tests/fuzz/rng.h"

namespace vmlab::fuzz {

struct CodeFlavor {
  bool code32 = true;          // default operand/address size of the code segment
};

// Selectors worth trying: mostly in the fuzz GDT/LDT (valid, random, system), some beyond.
uint16_t random_selector(Rng& r);

// Fills `out` completely.
void generate_code(Rng& r, const CodeFlavor& f, std::span<uint8_t> out);

}  // namespace vmlab::fuzz
