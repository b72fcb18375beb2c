// Direct Linux boot layout (firmware/linux_loader.h): which images are accepted, where the
// pieces go, and the loader fields written into the setup header.
#include "firmware/linux_loader.h"

#include <doctest/doctest.h>

#include <cstring>

#include "machine/setup_error.h"

using namespace vmlab;
using namespace vmlab::firmware;

namespace {

// A synthetic bzImage: `setup_sects` setup sectors after the boot sector, then `kernel` bytes.
std::vector<uint8_t> bzimage(uint16_t version, uint8_t setup_sects, size_t kernel, uint8_t loadflags = 1) {
  std::vector<uint8_t> b((setup_sects + 1) * 512 + kernel, 0);
  b[0x1F1] = setup_sects;
  b[0x1FE] = 0x55;
  b[0x1FF] = 0xAA;
  std::memcpy(&b[0x202], "HdrS", 4);
  b[0x206] = uint8_t(version);
  b[0x207] = uint8_t(version >> 8);
  b[0x211] = loadflags;
  uint32_t initrd_max = 0x37FFFFFF, cmdline_size = 100;
  std::memcpy(&b[0x22C], &initrd_max, 4);
  std::memcpy(&b[0x238], &cmdline_size, 4);
  b[(setup_sects + 1) * 512] = 0xEE;  // first byte of the protected-mode part
  return b;
}
uint32_t rd32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);
  return v;
}
PlatformInfo ram(uint64_t bytes) {
  PlatformInfo i;
  i.ram_bytes = bytes;
  return i;
}

}  // namespace

TEST_CASE("linux_boot_plan_splits_the_image_and_fills_the_loader_fields") {
  auto image = bzimage(0x020A, 3, 10000);
  REQUIRE(is_linux_bzimage(image));
  std::vector<uint8_t> initrd(5000, 0x42);
  LinuxBootPlan p = plan_linux_boot(image, initrd, "console=ttyS0", ram(64ull << 20));
  CHECK(p.setup.size() == 4 * 512);
  CHECK(p.kernel.size() == 10000);
  CHECK(p.kernel[0] == 0xEE);
  CHECK(p.setup[0x210] == 0xFF);                    // type_of_loader
  CHECK((p.setup[0x211] & 0x80) != 0);              // CAN_USE_HEAP
  CHECK(rd32(p.setup, 0x228) == kLinuxCmdlineAddress);
  CHECK(std::string(p.cmdline.begin(), p.cmdline.end() - 1) == "console=ttyS0");
  CHECK(p.cmdline.back() == 0);
  // The initrd: page aligned, as high as possible below the firmware's table area.
  CHECK(rd32(p.setup, 0x218) == p.initrd_address);
  CHECK(rd32(p.setup, 0x21C) == 5000);
  CHECK(p.initrd_address % 4096 == 0);
  CHECK(p.initrd_address + 5000 <= ram(64ull << 20).tables_base());
  CHECK(p.initrd_address + 5000 + 4096 > ram(64ull << 20).tables_base());

  machine::GuestMemory mem(64ull << 20);
  write_linux_boot(mem, p);
  std::vector<uint8_t> got(4);
  REQUIRE(mem.read_phys(kLinuxKernelAddress, got));
  CHECK(got[0] == 0xEE);
  REQUIRE(mem.read_phys(p.initrd_address, got));
  CHECK(got[0] == 0x42);
  auto file = p.fw_cfg_file();
  REQUIRE(file.size() == 4);
  CHECK((file[0] | file[1] << 8) == kLinuxSetupAddress >> 4);
}

TEST_CASE("linux_boot_rejects_what_it_cannot_boot") {
  std::vector<uint8_t> not_linux(4096, 0);
  CHECK_FALSE(is_linux_bzimage(not_linux));
  CHECK_THROWS_AS(plan_linux_boot(not_linux, {}, "", ram(64ull << 20)), machine::SetupError);
  // Protocol 2.01 has no cmd_line_ptr; a zImage loads low.
  CHECK_THROWS_AS(plan_linux_boot(bzimage(0x0201, 4, 100), {}, "", ram(64ull << 20)), machine::SetupError);
  CHECK_THROWS_AS(plan_linux_boot(bzimage(0x020A, 4, 100, 0), {}, "", ram(64ull << 20)), machine::SetupError);
  // Command line longer than cmdline_size (100 here).
  CHECK_THROWS_AS(plan_linux_boot(bzimage(0x020A, 4, 100), {}, std::string(101, 'x'), ram(64ull << 20)),
                  machine::SetupError);
  // A kernel or initrd that does not fit.
  CHECK_THROWS_AS(plan_linux_boot(bzimage(0x020A, 4, 3 << 20), {}, "", ram(4ull << 20)), machine::SetupError);
  CHECK_THROWS_AS(plan_linux_boot(bzimage(0x020A, 4, 1 << 20), std::vector<uint8_t>(3 << 20, 1), "",
                                  ram(4ull << 20)),
                  machine::SetupError);
  // setup_sects larger than the image.
  auto truncated = bzimage(0x020A, 4, 100);
  truncated[0x1F1] = 60;
  CHECK_THROWS_AS(plan_linux_boot(truncated, {}, "", ram(64ull << 20)), machine::SetupError);
}
