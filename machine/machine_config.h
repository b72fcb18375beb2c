// MachineConfig: everything the command line decides about the machine, as plain data. The
// command line (ui/command_line.cpp) fills it; Machine and the boot code read it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vmlab::machine {

struct DebugExitConfig {
  uint16_t iobase = 0x501;  // QEMU's default isa-debug-exit port
  uint16_t iosize = 2;
};

// One IDE drive (-hda..-hdd, -cdrom, -drive): index 0-3 = primary master, primary slave,
// secondary master, secondary slave.
struct DriveConfig {
  std::string file;          // raw image (disk) or ISO (cdrom)
  unsigned index = 0;        // 0-3
  bool cdrom = false;        // media=cdrom: ATAPI CD-ROM, read-only
  bool read_only = false;    // readonly=on (always true for a CD-ROM)
  bool snapshot = false;     // snapshot=on / -snapshot: writes go to a temporary overlay
};

struct MachineConfig {
  uint64_t ram_bytes = 128ull << 20;       // -m
  unsigned smp = 1;                        // -smp N: number of vCPUs (1-8)
  std::string backend = "interp";          // --backend: interp or kvm (bt, trap later)
  std::string mmu = "direct";              // --mmu: direct (shadow, nested later)
  std::string serial = "stdio";            // -serial: COM1 (devices/char_backend.h spellings)
  std::string serial2 = "null";            // a second -serial: COM2
  std::string monitor;                     // -monitor: "" = none (or mon: in a -serial spec)
  std::string debugcon = "stdio";          // -debugcon: port 0xE9 output, same choices
  std::vector<DebugExitConfig> debug_exits;  // -device isa-debug-exit,...
  bool no_reboot = false;                  // -no-reboot: a triple fault exits (status 3)
  bool deterministic = false;              // --deterministic / -icount: time from instructions
  uint64_t max_instructions = 0;           // --max-instructions: stop after N (0 = no limit)
  // Off switches for speed tricks (STYLE.md point 9), to see what each one buys.
  bool decode_cache = true;                // --no-decode-cache: decode every instruction every time
  bool interp_blocks = true;               // --no-blocks: interpreter runs one insn at a time
  bool interp_jump_cache = true;           // --no-jump-cache: no linear-address block lookup
  bool interp_chaining = true;             // --no-chaining: blocks do not link to their successors
  bool interp_branch_blocks = true;        // --no-branch-blocks: blocks end at conditional branches
  bool interp_fast_handlers = true;        // --no-fast-handlers: only the general handlers
  bool interp_threaded = true;             // --no-threaded: the loop calls every handler
  bool interp_flat_segments = true;        // --no-flat-segments: threaded forms always check segments
  bool tlb = true;                         // --no-tlb: every access walks (slow path)
  uint32_t bt_hot_runs = 16;               // --bt-hot-runs: runs of a block before bt translates it
  bool bt_perf_map = false;                // --bt-perf-map: name host code in /tmp/perf-<pid>.map
  bool kvm_threads = true;                 // --kvm-threads off: -smp N on kvm runs round-robin in one thread
  // --kvm-irqchip: "user" = vmlab's PIC/IOAPIC/local APICs, interrupts injected by the KVM core;
  // "kernel" = KVM's in-kernel 8259 pair, IOAPIC and local APICs (kvm only; docs/kvm.md).
  std::string kvm_irqchip = "user";
  std::string kernel;                      // -kernel (multiboot v1 ELF32 or a.out kludge)
  std::string append;                      // -append: kernel command line
  std::string initrd;                      // -initrd: multiboot modules, comma-separated
  std::string bios;                        // -bios FILE: "" = the built-in vmlab BIOS
  char boot_device = 'c';                  // -boot c (first hard disk) | d (CD-ROM)
  std::vector<DriveConfig> drives;         // IDE drives (-hda, -cdrom, -drive), by index
};

}  // namespace vmlab::machine
