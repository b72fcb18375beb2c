// IoBus and MmioBus: devices register for a port range or a physical address range and see
// offsets only. Accesses nobody claims answer as a PC does (reads all-ones, writes dropped) and
// are counted.
//
//   IoBus io;
//   io.add(0x3F8, 8, "com1", uart);   // uart implements BusDevice
//   uint32_t v = io.read(0x3FD, 1);
//
// A 2- or 4-byte access that straddles two devices' ranges (or a claimed and an unclaimed port)
// is split into byte accesses, as the chipset would do.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vmlab::machine {

// Something that answers bus cycles. `offset` is relative to the registered base.
class BusDevice {
 public:
  virtual ~BusDevice() = default;
  virtual uint32_t read(uint64_t offset, unsigned width) = 0;                 // width 1, 2, 4
  virtual void write(uint64_t offset, unsigned width, uint32_t value) = 0;
};

struct BusStats {
  uint64_t unclaimed_reads = 0;
  uint64_t unclaimed_writes = 0;
};

class Bus {
 public:
  explicit Bus(std::string name) : name_(std::move(name)) {}
  // Registers [base, base+size); throws std::invalid_argument on overlap (a wiring bug).
  void add(uint64_t base, uint64_t size, std::string name, BusDevice& dev);
  void remove(uint64_t base);
  uint32_t read(uint64_t addr, unsigned width);
  void write(uint64_t addr, unsigned width, uint32_t value);
  bool claimed(uint64_t addr) const { return find(addr) != nullptr; }

  // Per-region access counts (for stats): name -> {reads, writes}.
  struct RegionCounts { uint64_t reads = 0, writes = 0; };
  const BusStats& stats() const { return stats_; }
  std::vector<std::pair<std::string, RegionCounts>> region_counts() const;
  // The map itself, by base address (the monitor's `info mtree`).
  struct RegionInfo { uint64_t base, size; std::string name; };
  std::vector<RegionInfo> regions() const;
  // Per-address counts of the first accesses to each address (I/O by port). Bounded in size.
  const std::map<uint64_t, RegionCounts>& address_counts() const { return by_address_; }
  const std::string& name() const { return name_; }

 private:
  struct Region { uint64_t base, size; std::string name; BusDevice* dev; RegionCounts counts; };
  const Region* find(uint64_t addr) const;
  Region* find(uint64_t addr);
  void count_address(uint64_t addr, bool write);
  std::string name_;
  std::map<uint64_t, Region> regions_;  // keyed by base
  std::map<uint64_t, RegionCounts> by_address_;
  BusStats stats_;
};

class IoBus : public Bus { public: IoBus() : Bus("io") {} };
class MmioBus : public Bus { public: MmioBus() : Bus("mmio") {} };

}  // namespace vmlab::machine
