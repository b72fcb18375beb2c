// The fw_cfg items published for SeaBIOS: the serial console port always, the VGA BIOS only for
// a -bios image and only when a valid option ROM is found next to it or in /usr/share/seabios.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unistd.h>
#include <string>
#include <vector>

#include "devices/fw_cfg.h"
#include "firmware/seabios_items.h"

using vmlab::devices::FwCfg;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_key(FwCfg& cfg, uint16_t key, size_t n) {
  cfg.write(0, 2, key);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = uint8_t(cfg.read(1, 1));
  return out;
}

// A file's contents found through the directory (key 0x19), as firmware finds it.
std::optional<std::vector<uint8_t>> read_file(FwCfg& cfg, const std::string& name) {
  const std::vector<uint8_t> head = read_key(cfg, FwCfg::kFileDir, 4);
  const uint32_t count = uint32_t(head[0]) << 24 | uint32_t(head[1]) << 16 | uint32_t(head[2]) << 8 | head[3];
  const std::vector<uint8_t> dir = read_key(cfg, FwCfg::kFileDir, 4 + size_t(count) * 64);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = dir.data() + 4 + i * 64;
    const uint32_t size = uint32_t(e[0]) << 24 | uint32_t(e[1]) << 16 | uint32_t(e[2]) << 8 | e[3];
    const uint16_t select = uint16_t(e[4] << 8 | e[5]);
    if (std::string(reinterpret_cast<const char*>(e + 8)) == name) return read_key(cfg, select, size);
  }
  return std::nullopt;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("vmlab_seabios_items_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { std::error_code ec; fs::remove_all(path, ec); }
};

}  // namespace

TEST_CASE("seabios_items_put_the_serial_console_on_com1_for_every_bios") {
  FwCfg cfg(64 << 20, 1);
  CHECK(vmlab::firmware::publish_seabios_items(cfg, "") == "");
  auto port = read_file(cfg, "etc/sercon-port");
  REQUIRE(port);
  CHECK(*port == std::vector<uint8_t>{0xF8, 0x03});
  CHECK_FALSE(read_file(cfg, "pci1234,1111.rom"));  // vmlab's own BIOS: no VGA ROM
}

TEST_CASE("seabios_items_publish_the_vga_bios_found_next_to_the_bios_image") {
  TempDir d;
  std::vector<uint8_t> rom(1024, 0x90);
  rom[0] = 0x55;
  rom[1] = 0xAA;
  rom[2] = 2;  // 2 x 512 bytes
  {
    std::ofstream(d.path / "vgabios-stdvga.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(rom.data()), std::streamsize(rom.size()));
  }
  FwCfg cfg(64 << 20, 1);
  CHECK(vmlab::firmware::publish_seabios_items(cfg, (d.path / "bios.bin").string()) ==
        (d.path / "vgabios-stdvga.bin").string());
  auto got = read_file(cfg, "pci1234,1111.rom");
  REQUIRE(got);
  CHECK(*got == rom);
}

TEST_CASE("seabios_items_skip_a_file_that_is_not_an_option_rom") {
  TempDir d;
  { std::ofstream(d.path / "vgabios-stdvga.bin", std::ios::binary) << std::string(1024, 'x'); }
  FwCfg cfg(64 << 20, 1);
  const std::string found = vmlab::firmware::publish_seabios_items(cfg, (d.path / "bios.bin").string());
  // The bad file is never taken; Debian's /usr/share/seabios copy is, where it is installed.
  CHECK(found != (d.path / "vgabios-stdvga.bin").string());
  if (found.empty()) {
    CHECK_FALSE(read_file(cfg, "pci1234,1111.rom"));
  } else {
    auto got = read_file(cfg, "pci1234,1111.rom");
    REQUIRE(got);
    CHECK((*got)[0] == 0x55);
    CHECK((*got)[1] == 0xAA);
  }
}
