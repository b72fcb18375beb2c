// Monitor: commands that act on devices - `sendkey` (QEMU key names to PS/2 set-2 scancodes on
// the i8042 keyboard) and `screendump` (what the VGA shows, as PNG or PPM).
#include <fmt/format.h>

#include <string_view>

#include "devices/vga/image_file.h"
#include "devices/vga/vga_render.h"
#include "ui/monitor.h"

namespace vmlab::ui {

namespace {

// QEMU's key names (qapi QKeyCode) and their scancode set 2 make codes; above 0xFF: E0 prefix.
struct KeyName { std::string_view name; uint16_t code; };
constexpr KeyName kKeys[] = {
    {"a", 0x1C}, {"b", 0x32}, {"c", 0x21}, {"d", 0x23}, {"e", 0x24}, {"f", 0x2B}, {"g", 0x34},
    {"h", 0x33}, {"i", 0x43}, {"j", 0x3B}, {"k", 0x42}, {"l", 0x4B}, {"m", 0x3A}, {"n", 0x31},
    {"o", 0x44}, {"p", 0x4D}, {"q", 0x15}, {"r", 0x2D}, {"s", 0x1B}, {"t", 0x2C}, {"u", 0x3C},
    {"v", 0x2A}, {"w", 0x1D}, {"x", 0x22}, {"y", 0x35}, {"z", 0x1A},
    {"1", 0x16}, {"2", 0x1E}, {"3", 0x26}, {"4", 0x25}, {"5", 0x2E}, {"6", 0x36}, {"7", 0x3D},
    {"8", 0x3E}, {"9", 0x46}, {"0", 0x45},
    {"minus", 0x4E}, {"equal", 0x55}, {"backspace", 0x66}, {"tab", 0x0D}, {"ret", 0x5A},
    {"bracket_left", 0x54}, {"bracket_right", 0x5B}, {"semicolon", 0x4C}, {"apostrophe", 0x52},
    {"grave_accent", 0x0E}, {"backslash", 0x5D}, {"comma", 0x41}, {"dot", 0x49}, {"slash", 0x4A},
    {"less", 0x61}, {"spc", 0x29}, {"esc", 0x76}, {"caps_lock", 0x58}, {"num_lock", 0x77},
    {"scroll_lock", 0x7E},
    {"shift", 0x12}, {"shift_r", 0x59}, {"ctrl", 0x14}, {"ctrl_r", 0xE014}, {"alt", 0x11},
    {"alt_r", 0xE011}, {"meta_l", 0xE01F}, {"meta_r", 0xE027}, {"menu", 0xE02F},
    {"f1", 0x05}, {"f2", 0x06}, {"f3", 0x04}, {"f4", 0x0C}, {"f5", 0x03}, {"f6", 0x0B},
    {"f7", 0x83}, {"f8", 0x0A}, {"f9", 0x01}, {"f10", 0x09}, {"f11", 0x78}, {"f12", 0x07},
    {"home", 0xE06C}, {"end", 0xE069}, {"pgup", 0xE07D}, {"pgdn", 0xE07A}, {"insert", 0xE070},
    {"delete", 0xE071}, {"up", 0xE075}, {"down", 0xE072}, {"left", 0xE06B}, {"right", 0xE074},
    {"kp_0", 0x70}, {"kp_1", 0x69}, {"kp_2", 0x72}, {"kp_3", 0x7A}, {"kp_4", 0x6B},
    {"kp_5", 0x73}, {"kp_6", 0x74}, {"kp_7", 0x6C}, {"kp_8", 0x75}, {"kp_9", 0x7D},
    {"kp_add", 0x79}, {"kp_subtract", 0x7B}, {"kp_multiply", 0x7C}, {"kp_divide", 0xE04A},
    {"kp_decimal", 0x71}, {"kp_enter", 0xE05A},
};

std::optional<uint16_t> key_code(std::string_view name) {
  // QEMU's aliases for a few names.
  if (name == "enter" || name == "return") name = "ret";
  if (name == "space") name = "spc";
  if (name == "control") name = "ctrl";
  if (name == "escape") name = "esc";
  if (name == "del") name = "delete";
  for (const KeyName& k : kKeys)
    if (k.name == name) return k.code;
  // QEMU also takes a raw code: 0x1c.
  if (name.size() > 2 && name.substr(0, 2) == "0x") {
    unsigned v = 0;
    for (char c : name.substr(2)) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0 || v > 0xFFF) return std::nullopt;
      v = v * 16 + unsigned(d);
    }
    if (v <= 0xFF || (v >> 8) == 0xE0) return uint16_t(v);
  }
  return std::nullopt;
}

}  // namespace

void Monitor::register_device_commands() {
  add_command({"sendkey", "keys", "press keys together and release them, e.g. ctrl-alt-delete, shift-a, ret",
               [this](const std::vector<std::string>& args, const std::string&) {
                 if (args.size() != 1)
                   return std::string("usage: sendkey keys (QEMU names joined by '-': ctrl-alt-f1)\n");
                 std::vector<uint16_t> codes;
                 std::string_view keys = args[0];
                 while (!keys.empty()) {
                   size_t dash = keys.find('-');
                   std::string_view name = keys.substr(0, dash);
                   auto code = key_code(name);
                   if (!code)
                     return fmt::format("sendkey: unknown key '{}' (see docs/monitor.md)\n", name);
                   codes.push_back(*code);
                   if (codes.size() > 16) return std::string("sendkey: at most 16 keys at once\n");
                   keys = dash == std::string_view::npos ? std::string_view() : keys.substr(dash + 1);
                   if (dash != std::string_view::npos && keys.empty())
                     return std::string("sendkey: a key name must follow '-'\n");
                 }
                 devices::Ps2Keyboard& kbd = machine_.kbc().keyboard();
                 for (uint16_t c : codes) kbd.key_down(c);
                 for (auto it = codes.rbegin(); it != codes.rend(); ++it) kbd.key_up(*it);
                 return std::string();
               }});
  add_command({"screendump", "file", "save the screen as PNG (name ends in .png) or PPM",
               [this](const std::vector<std::string>& args, const std::string&) {
                 if (args.size() != 1) return std::string("usage: screendump file.png\n");
                 devices::vga::RgbImage img;
                 devices::vga::render(machine_.vga(), img);
                 std::string error = devices::vga::write_image_file(img, args[0]);
                 if (!error.empty()) return fmt::format("screendump: {}\n", error);
                 return fmt::format("screendump: {}x{} written to {}\n", img.width, img.height, args[0]);
               }});
}

}  // namespace vmlab::ui
