// Physical-address access: RAM, then ROM, then the MmioBus. The slow path of linear_access and
// anything else that holds a guest physical address goes through here, so ROM stays read-only,
// the legacy hole reaches the VGA/option-ROM devices and unclaimed addresses answer as a PC does
// (the bus reads all-ones, drops writes and counts both).
#include <cstring>
#include "mmu/linear_access.h"

namespace vmlab::mmu {

namespace {

bool is_memory(cpu::Vcpu& v, uint64_t pa) { return v.mem.readable_ptr(pa, 1) != nullptr; }

// Width 1, 2 or 4 on the MMIO bus; the bus splits accesses that straddle two devices.
uint32_t mmio_read(cpu::Vcpu& v, uint64_t pa, unsigned width) {
  ++v.counters.mmio_reads;
  return v.mmio.read(pa, width);
}
void mmio_write(cpu::Vcpu& v, uint64_t pa, unsigned width, uint32_t value) {
  ++v.counters.mmio_writes;
  v.mmio.write(pa, width, value);
}

}  // namespace

void read_physical_bytes(cpu::Vcpu& v, uint64_t pa, uint8_t* out, unsigned len) {
  if (len == 0) return;
  if (const uint8_t* p = v.mem.readable_ptr(pa, len)) {
    std::memcpy(out, p, len);
    return;
  }
  // Device registers want the access at its natural width: a 2/4-byte access that is all
  // non-memory goes to the bus whole; an 8-byte one as two dwords; anything mixed, byte by byte.
  if ((len == 2 || len == 4) && !is_memory(v, pa) && !is_memory(v, pa + len - 1)) {
    uint32_t value = mmio_read(v, pa, len);
    std::memcpy(out, &value, len);
    return;
  }
  if (len == 8) {
    read_physical_bytes(v, pa, out, 4);
    read_physical_bytes(v, pa + 4, out + 4, 4);
    return;
  }
  for (unsigned i = 0; i < len; ++i) {
    if (const uint8_t* p = v.mem.readable_ptr(pa + i, 1))
      out[i] = *p;
    else
      out[i] = uint8_t(mmio_read(v, pa + i, 1));
  }
}

void write_physical_bytes(cpu::Vcpu& v, uint64_t pa, const uint8_t* in, unsigned len) {
  if (len == 0) return;
  if (uint8_t* p = v.mem.ram_ptr(pa, len)) {
    std::memcpy(p, in, len);
    v.mem.note_write(pa, len);
    return;
  }
  if ((len == 2 || len == 4) && !is_memory(v, pa) && !is_memory(v, pa + len - 1)) {
    uint32_t value = 0;
    std::memcpy(&value, in, len);
    mmio_write(v, pa, len, value);
    return;
  }
  if (len == 8) {
    write_physical_bytes(v, pa, in, 4);
    write_physical_bytes(v, pa + 4, in + 4, 4);
    return;
  }
  for (unsigned i = 0; i < len; ++i) {
    if (uint8_t* p = v.mem.ram_ptr(pa + i, 1)) {
      *p = in[i];
      v.mem.note_write(pa + i, 1);
    } else if (is_memory(v, pa + i)) {
      ++v.mmu.counters.rom_writes_ignored;  // ROM: the write is dropped, as on the real chip
    } else {
      mmio_write(v, pa + i, 1, in[i]);
    }
  }
}

uint32_t read_physical(cpu::Vcpu& v, uint64_t pa, unsigned width) {
  uint32_t value = 0;
  read_physical_bytes(v, pa, reinterpret_cast<uint8_t*>(&value), width > 4 ? 4 : width);
  return value;
}

void write_physical(cpu::Vcpu& v, uint64_t pa, unsigned width, uint32_t value) {
  write_physical_bytes(v, pa, reinterpret_cast<const uint8_t*>(&value), width > 4 ? 4 : width);
}

}  // namespace vmlab::mmu
