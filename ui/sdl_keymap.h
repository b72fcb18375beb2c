// SDL scancodes (USB HID usages) -> PS/2 scancode set 2 make codes, as Ps2Keyboard::key_down()
// takes them (an E0-prefixed key is 0xE0xx). 0 = no PS/2 key.
#pragma once
#include <cstdint>

namespace vmlab::ui {

uint16_t ps2_set2_code(int sdl_scancode);

}  // namespace vmlab::ui
