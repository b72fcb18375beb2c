// The disk options: -hda..-hdd, -cdrom, -drive key=value lists (unsupported keys and values are
// errors naming them), index assignment, -snapshot.
#include <doctest/doctest.h>

#include <string>

#include "ui/command_line.h"
#include "ui/drive_options.h"
#include <cstdio>

using namespace vmlab::ui;

namespace {
std::string error_of(const std::vector<DriveOption>& o) {
  try {
    collect_drives(o, false);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("drive_options_qemu_spellings_map_to_ide_indexes") {
  auto d = collect_drives({{"hda", "a.img"}, {"hdd", "d.img"}, {"cdrom", "x.iso"}}, false);
  REQUIRE(d.size() == 3);
  CHECK(d[0].index == 0);
  CHECK(d[1].index == 3);
  CHECK(d[2].index == 2);
  CHECK(d[2].cdrom);
  CHECK_FALSE(d[0].cdrom);
  CHECK_FALSE(d[0].snapshot);
}

TEST_CASE("drive_options_parse_file_index_media_format_and_commas") {
  bool has_index = false;
  auto d = parse_drive("file=my,,disk.img,index=1,media=cdrom,format=raw,if=ide,readonly=on", &has_index);
  CHECK(d.file == "my,disk.img");
  CHECK(d.index == 1);
  CHECK(has_index);
  CHECK(d.cdrom);
  CHECK(d.read_only);
  // Without an index, the lowest free place is taken.
  auto all = collect_drives({{"hda", "a.img"}, {"drive", "file=b.img"}, {"drive", "file=c.img,index=1"}}, true);
  CHECK(all[1].index == 2);
  CHECK(all[2].index == 1);
  CHECK(all[0].snapshot);
  CHECK(all[1].snapshot);
}

TEST_CASE("drive_options_unsupported_keys_and_values_are_errors_naming_them") {
  CHECK(error_of({{"drive", "file=a.img,cache=none"}}).find("'cache'") != std::string::npos);
  CHECK(error_of({{"drive", "file=a.img,format=qcow2"}}).find("format=qcow2") != std::string::npos);
  CHECK(error_of({{"drive", "file=a.img,if=virtio"}}).find("if=virtio") != std::string::npos);
  CHECK(error_of({{"drive", "file=a.img,index=4"}}).find("index=4") != std::string::npos);
  CHECK(error_of({{"drive", "file=a.img,media=floppy"}}).find("media=floppy") != std::string::npos);
  CHECK(error_of({{"drive", "index=0"}}).find("file=") != std::string::npos);
  CHECK(error_of({{"drive", "file=a.img,readonly=maybe"}}).find("readonly=maybe") != std::string::npos);
  CHECK(error_of({{"hdc", "a.img"}, {"cdrom", "b.iso"}}).find("index 2") != std::string::npos);
  CHECK(error_of({{"drive", "file=a,index=0"}, {"drive", "file=b,index=1"}, {"drive", "file=c,index=2"},
                  {"drive", "file=d,index=3"}, {"drive", "file=e"}}).find("taken") != std::string::npos);
  CHECK(error_of({{"drive", "media=cdrom"}}).empty());  // an empty CD-ROM drive is fine
}

TEST_CASE("drive_options_on_the_command_line_fill_the_config_or_exit_2_naming_the_key") {
  auto parse = [](std::vector<const char*> argv, std::string* err_text) {
    argv.insert(argv.begin(), "vmlab");
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    ParseResult r = parse_command_line(int(argv.size()), argv.data(), out, err);
    std::rewind(err);
    char buf[512] = {};
    size_t n = std::fread(buf, 1, sizeof buf - 1, err);
    *err_text = std::string(buf, n);
    std::fclose(out);
    std::fclose(err);
    return r;
  };
  std::string e;
  ParseResult r = parse({"-hda", "a.img", "-cdrom", "c.iso", "-drive", "file=b.img,index=1,format=raw", "-snapshot"}, &e);
  REQUIRE(r.cmd);
  const auto& d = r.cmd->machine.drives;
  REQUIRE(d.size() == 3);
  CHECK(d[0].file == "a.img");
  CHECK(d[1].index == 2);
  CHECK(d[1].cdrom);
  CHECK(d[2].index == 1);
  CHECK(d[2].snapshot);
  r = parse({"-drive", "file=b.img,aio=native"}, &e);
  CHECK_FALSE(r.cmd);
  CHECK(r.status == 2);
  CHECK(e.find("'aio'") != std::string::npos);
  r = parse({"--hdb", "x.img", "-drive", "file=y.img,index=1"}, &e);
  CHECK(r.status == 2);
  CHECK(e.find("index 1") != std::string::npos);
}
