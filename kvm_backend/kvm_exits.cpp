// Port I/O and MMIO exits on the machine's buses (see kvm_exits.h).
#include "kvm_backend/kvm_exits.h"

#include <cstring>
#include <fmt/format.h>

namespace vmlab::kvm_backend {

std::string handle_io_exit(kvm_run& run, size_t run_size, cpu::Vcpu& v, KvmCounters& c) {
  const auto& io = run.io;
  const unsigned size = io.size;
  if (size != 1 && size != 2 && size != 4)
    return fmt::format("KVM_EXIT_IO with access size {} (port {:#x})", size, io.port);
  const uint64_t bytes = uint64_t(size) * io.count;
  if (io.count == 0 || io.data_offset < sizeof(kvm_run) || io.data_offset + bytes > run_size)
    return fmt::format("KVM_EXIT_IO with data outside the kvm_run page (offset {:#x}, {} x {})",
                       io.data_offset, io.count, size);
  c.count(KvmExit::Io);
  ++c.io_exits_by_port[io.port];
  if (io.count > 1) ++c.io_string_exits;
  uint8_t* data = reinterpret_cast<uint8_t*>(&run) + io.data_offset;
  for (uint32_t i = 0; i < io.count; ++i) {
    uint8_t* p = data + uint64_t(i) * size;
    if (io.direction == KVM_EXIT_IO_OUT) {
      uint32_t value = 0;
      std::memcpy(&value, p, size);  // little-endian host: the low bytes
      v.io.write(io.port, size, value);
      ++v.counters.io_writes;
    } else {
      const uint32_t value = v.io.read(io.port, size);
      std::memcpy(p, &value, size);
      ++v.counters.io_reads;
    }
  }
  return "";
}

namespace {

// One MMIO access of 1, 2 or 4 bytes at `pa`.
uint32_t mmio_read(cpu::Vcpu& v, uint64_t pa, unsigned len) {
  if (const uint8_t* rom = v.mem.readable_ptr(pa, len)) {
    uint32_t value = 0;
    std::memcpy(&value, rom, len);
    return value;
  }
  ++v.counters.mmio_reads;
  return v.mmio.read(pa, len);
}

void mmio_write(cpu::Vcpu& v, uint64_t pa, unsigned len, uint32_t value) {
  if (v.mem.readable_ptr(pa, len)) return;  // ROM (or a read-only ROM slot): writes are dropped
  ++v.counters.mmio_writes;
  v.mmio.write(pa, len, value);
}

}  // namespace

std::string handle_mmio_exit(kvm_run& run, cpu::Vcpu& v, KvmCounters& c) {
  auto& m = run.mmio;
  if (m.len == 0 || m.len > 8)
    return fmt::format("KVM_EXIT_MMIO of {} bytes at {:#x}", m.len, m.phys_addr);
  c.count(KvmExit::Mmio);
  ++c.mmio_exits_by_page[m.phys_addr >> 12];
  // Pieces the bus can take: 8 bytes as two dwords, odd sizes byte by byte.
  const unsigned piece = (m.len == 8) ? 4 : (m.len == 1 || m.len == 2 || m.len == 4) ? m.len : 1;
  for (unsigned off = 0; off < m.len; off += piece) {
    const uint64_t pa = m.phys_addr + off;
    if (m.is_write) {
      uint32_t value = 0;
      std::memcpy(&value, m.data + off, piece);
      mmio_write(v, pa, piece, value);
    } else {
      const uint32_t value = mmio_read(v, pa, piece);
      std::memcpy(m.data + off, &value, piece);
    }
  }
  return "";
}

}  // namespace vmlab::kvm_backend
