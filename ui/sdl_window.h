// SdlWindow: the machine's display in an SDL2 window (`-display sdl`, the default when a display
// exists). Polled by the machine between run slices (Machine::add_host_poller), so it needs no
// thread of its own:
//   - redraws at most 60 times a second, and only when the VGA changed (Vga::change_count) or
//     the text cursor blinks, so an idle guest costs almost nothing;
//   - the picture keeps its aspect, scaled to the window (letterboxed);
//   - keys go to the PS/2 keyboard as set-2 scancodes; with the mouse grabbed (click in the
//     window, or Ctrl-Alt-G; Ctrl-Alt-G again releases) motion and buttons go to the PS/2 mouse;
//   - Ctrl-Alt-Q or closing the window quits (status 0);
//   - the title shows the technique, the MMU mode, guest MIPS and whether the mouse is grabbed.
//
//   SdlWindow w(machine);        // throws SetupError when SDL cannot open a window
#pragma once
#include <cstdint>
#include <chrono>
#include <string>

#include "devices/vga/vga_render.h"
#include "machine/machine.h"

struct SDL_Window;
struct SDL_Renderer;
struct SDL_Texture;

namespace vmlab::ui {

class SdlWindow {
 public:
  explicit SdlWindow(machine::Machine& m);
  ~SdlWindow();
  SdlWindow(const SdlWindow&) = delete;
  SdlWindow& operator=(const SdlWindow&) = delete;

  void poll();  // events, then a redraw if one is due
  uint64_t frames_drawn() const { return frames_; }

 private:
  void handle_events();
  void redraw(bool force);
  void update_title();
  void set_grab(bool on);

  machine::Machine& m_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  unsigned tex_w_ = 0, tex_h_ = 0;
  devices::vga::RgbImage image_;
  uint64_t drawn_change_ = ~0ull;
  bool drawn_cursor_phase_ = true;
  bool grabbed_ = false;
  uint8_t buttons_ = 0;
  uint64_t frames_ = 0;
  std::chrono::steady_clock::time_point last_frame_{}, last_title_{}, started_;
  uint64_t title_instructions_ = 0;
  uint64_t title_exits_ = 0;
};

}  // namespace vmlab::ui
