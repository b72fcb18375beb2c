// Direct Linux boot: laying out a bzImage for the BIOS to enter (see linux_loader.h). Header
// offsets from Documentation/arch/x86/boot.rst, "The real-mode kernel header".
#include "firmware/linux_loader.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "firmware/table_bytes.h"
#include "machine/setup_error.h"

namespace vmlab::firmware {

namespace {

constexpr size_t kHdrSetupSects = 0x1F1, kHdrBootFlag = 0x1FE, kHdrMagic = 0x202,
                 kHdrVersion = 0x206, kHdrTypeOfLoader = 0x210, kHdrLoadflags = 0x211,
                 kHdrRamdiskImage = 0x218, kHdrRamdiskSize = 0x21C, kHdrHeapEnd = 0x224,
                 kHdrCmdLinePtr = 0x228, kHdrInitrdAddrMax = 0x22C, kHdrCmdlineSize = 0x238;
constexpr uint8_t kLoadedHigh = 0x01, kCanUseHeap = 0x80;
// The setup code's 64 KiB segment at 0x10000 holds its code, heap and stack; the command line
// follows at 0x20000. heap_end_ptr is "the end of the heap minus 0x200" (QEMU's value); the
// stack starts at the top of the segment.
constexpr uint16_t kHeapEndField = 0x10000 - 0x200, kStackTop = 0xFFF0;

uint16_t rd16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] | b[at + 1] << 8); }
uint32_t rd32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 |
         uint32_t(b[at + 3]) << 24;
}
void wr16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v);
  b[at + 1] = uint8_t(v >> 8);
}
void wr32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(v >> (8 * i));
}

}  // namespace

bool is_linux_bzimage(const std::vector<uint8_t>& image) {
  return image.size() >= 0x400 && rd16(image, kHdrBootFlag) == 0xAA55 &&
         std::memcmp(&image[kHdrMagic], "HdrS", 4) == 0;
}

std::vector<uint8_t> LinuxBootPlan::fw_cfg_file() const {
  TableBytes t;
  t.u16(uint16_t(kLinuxSetupAddress >> 4));
  t.u16(kStackTop);
  return t.take();
}

LinuxBootPlan plan_linux_boot(const std::vector<uint8_t>& image, std::vector<uint8_t> initrd,
                              const std::string& cmdline, const PlatformInfo& info) {
  using machine::SetupError;
  if (!is_linux_bzimage(image))
    throw SetupError("-kernel: not a Linux kernel image (no \"HdrS\" setup header)");
  LinuxBootPlan plan;
  plan.protocol = rd16(image, kHdrVersion);
  if (plan.protocol < 0x0202)
    throw SetupError(fmt::format(
        "-kernel: Linux boot protocol {}.{:02} is older than 2.02, which vmlab needs",
        plan.protocol >> 8, plan.protocol & 0xFF));
  if (!(image[kHdrLoadflags] & kLoadedHigh))
    throw SetupError("-kernel: a zImage (loaded at 0x10000) is not supported; use a bzImage");
  unsigned setup_sects = image[kHdrSetupSects] ? image[kHdrSetupSects] : 4;
  size_t setup_size = size_t(setup_sects + 1) * 512;
  if (setup_size >= image.size() || setup_size > kHeapEndField)
    throw SetupError("-kernel: the setup header's setup_sects does not fit the image");
  plan.setup.assign(image.begin(), image.begin() + long(setup_size));
  plan.kernel.assign(image.begin() + long(setup_size), image.end());

  size_t cmdline_max = plan.protocol >= 0x0206 ? rd32(image, kHdrCmdlineSize) : 255;
  if (cmdline.size() > cmdline_max)
    throw SetupError(fmt::format("-append: the command line is {} bytes; this kernel takes {}",
                                 cmdline.size(), cmdline_max));
  plan.cmdline.assign(cmdline.begin(), cmdline.end());
  plan.cmdline.push_back(0);

  const uint64_t usable_top = info.tables_base();
  if (kLinuxKernelAddress + plan.kernel.size() > usable_top)
    throw SetupError(fmt::format("-kernel: the kernel ({} KiB) does not fit in {} MiB of RAM",
                                 plan.kernel.size() >> 10, info.ram_bytes >> 20));
  if (!initrd.empty()) {
    uint64_t max = plan.protocol >= 0x0203 ? rd32(image, kHdrInitrdAddrMax) : 0x37FFFFFF;
    uint64_t end = std::min<uint64_t>(usable_top, max + 1);
    uint64_t kernel_end = kLinuxKernelAddress + plan.kernel.size();
    if (initrd.size() > end || ((end - initrd.size()) & ~0xFFFull) < kernel_end)
      throw SetupError(fmt::format("-initrd: the initrd ({} KiB) does not fit above the kernel",
                                   initrd.size() >> 10));
    plan.initrd_address = uint32_t((end - initrd.size()) & ~0xFFFull);
    plan.initrd = std::move(initrd);
  }

  // The loader's part of the header.
  plan.setup[kHdrTypeOfLoader] = 0xFF;  // "undefined" loader id
  plan.setup[kHdrLoadflags] = uint8_t(plan.setup[kHdrLoadflags] | kCanUseHeap);
  wr16(plan.setup, kHdrHeapEnd, kHeapEndField);
  wr32(plan.setup, kHdrCmdLinePtr, kLinuxCmdlineAddress);
  wr32(plan.setup, kHdrRamdiskImage, plan.initrd_address);
  wr32(plan.setup, kHdrRamdiskSize, uint32_t(plan.initrd.size()));
  return plan;
}

void write_linux_boot(machine::GuestMemory& mem, const LinuxBootPlan& plan) {
  bool ok = mem.write_phys(kLinuxSetupAddress, plan.setup) &&
            mem.write_phys(kLinuxCmdlineAddress, plan.cmdline) &&
            mem.write_phys(kLinuxKernelAddress, plan.kernel) &&
            (plan.initrd.empty() || mem.write_phys(plan.initrd_address, plan.initrd));
  if (!ok) throw std::logic_error("internal: the Linux boot layout is not plain RAM");
}

}  // namespace vmlab::firmware
