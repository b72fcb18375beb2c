// The SDL2 window (see sdl_window.h).
#include "ui/sdl_window.h"

#include <SDL2/SDL.h>
#include <fmt/format.h>

#include "machine/setup_error.h"
#include "ui/sdl_keymap.h"

namespace vmlab::ui {

namespace {
constexpr auto kFrameInterval = std::chrono::milliseconds(16);  // at most ~60 redraws a second
// The VGA blinks the text cursor every 16 frames of its 60 Hz refresh (about 267 ms).
constexpr auto kCursorBlink = std::chrono::milliseconds(267);
}  // namespace

SdlWindow::SdlWindow(machine::Machine& m) : m_(m), started_(std::chrono::steady_clock::now()) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
    throw machine::SetupError(fmt::format("-display sdl: SDL cannot open a display ({}); use "
                                          "-display none or -nographic", SDL_GetError()));
  window_ = SDL_CreateWindow("vmlab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 720, 400,
                             SDL_WINDOW_RESIZABLE);
  if (window_) renderer_ = SDL_CreateRenderer(window_, -1, 0);
  if (!window_ || !renderer_) {
    const std::string why = SDL_GetError();
    if (window_) SDL_DestroyWindow(window_);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    throw machine::SetupError(fmt::format("-display sdl: cannot create the window ({}); use "
                                          "-display none", why));
  }
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
  update_title();
  redraw(true);
}

SdlWindow::~SdlWindow() {
  if (grabbed_) set_grab(false);
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void SdlWindow::poll() {
  handle_events();
  const auto now = std::chrono::steady_clock::now();
  if (now - last_frame_ >= kFrameInterval) {
    last_frame_ = now;
    redraw(false);
  }
  if (now - last_title_ >= std::chrono::seconds(1)) update_title();
}

void SdlWindow::set_grab(bool on) {
  grabbed_ = on;
  SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowGrab(window_, on ? SDL_TRUE : SDL_FALSE);
  update_title();
}

void SdlWindow::handle_events() {
  SDL_Event e;
  devices::Ps2Keyboard& kbd = m_.kbc().keyboard();
  while (SDL_PollEvent(&e)) {
    switch (e.type) {
      case SDL_QUIT:
        m_.request_exit(machine::kExitOk);
        break;
      case SDL_KEYDOWN:
      case SDL_KEYUP: {
        const SDL_Keymod mod = SDL_GetModState();
        const bool ctrl_alt = (mod & KMOD_CTRL) && (mod & KMOD_ALT);
        if (e.type == SDL_KEYDOWN && ctrl_alt && e.key.keysym.scancode == SDL_SCANCODE_G) {
          set_grab(!grabbed_);
          break;
        }
        if (e.type == SDL_KEYDOWN && ctrl_alt && e.key.keysym.scancode == SDL_SCANCODE_Q) {
          m_.request_exit(machine::kExitOk);
          break;
        }
        if (e.key.repeat) {
          // Host auto-repeat: the PS/2 keyboard makes its own typematic repeats from the
          // held key, but SDL's are what the user sees; send them as makes as a keyboard does.
          if (uint16_t code = ps2_set2_code(e.key.keysym.scancode)) kbd.key_down(code);
          break;
        }
        if (uint16_t code = ps2_set2_code(e.key.keysym.scancode)) {
          if (e.type == SDL_KEYDOWN) kbd.key_down(code);
          else kbd.key_up(code);
        }
        break;
      }
      case SDL_MOUSEBUTTONDOWN:
      case SDL_MOUSEBUTTONUP: {
        if (!grabbed_) {
          if (e.type == SDL_MOUSEBUTTONDOWN) set_grab(true);  // a click grabs, as in QEMU
          break;
        }
        const uint8_t bit = e.button.button == SDL_BUTTON_LEFT     ? 1
                            : e.button.button == SDL_BUTTON_RIGHT  ? 2
                            : e.button.button == SDL_BUTTON_MIDDLE ? 4
                                                                   : 0;
        if (e.type == SDL_MOUSEBUTTONDOWN) buttons_ |= bit;
        else buttons_ &= uint8_t(~bit);
        m_.kbc().mouse().move(0, 0, buttons_);
        break;
      }
      case SDL_MOUSEMOTION:
        // PS/2 counts up = positive Y; SDL's screen Y grows downwards.
        if (grabbed_) m_.kbc().mouse().move(e.motion.xrel, -e.motion.yrel, buttons_);
        break;
      case SDL_MOUSEWHEEL:
        if (grabbed_) m_.kbc().mouse().move(0, 0, buttons_, -e.wheel.y);
        break;
      case SDL_WINDOWEVENT:
        if (e.window.event == SDL_WINDOWEVENT_EXPOSED || e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
          redraw(true);
        break;
      default:
        break;
    }
  }
}

void SdlWindow::redraw(bool force) {
  const devices::vga::Vga& vga = m_.vga();
  const auto since = std::chrono::steady_clock::now() - started_;
  const bool cursor_phase = (since / kCursorBlink) % 2 == 0;
  const bool text = devices::vga::display_mode(vga).kind == devices::vga::DisplayKind::Text;
  if (!force && vga.change_count() == drawn_change_ && (!text || cursor_phase == drawn_cursor_phase_))
    return;  // nothing changed on screen: no work
  drawn_change_ = vga.change_count();
  drawn_cursor_phase_ = cursor_phase;
  devices::vga::render(vga, image_, {cursor_phase});
  if (image_.width == 0 || image_.height == 0) {  // display off: black
    SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
    SDL_RenderClear(renderer_);
    SDL_RenderPresent(renderer_);
    ++frames_;
    return;
  }
  if (!texture_ || tex_w_ != image_.width || tex_h_ != image_.height) {
    if (texture_) SDL_DestroyTexture(texture_);
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING,
                                 int(image_.width), int(image_.height));
    tex_w_ = image_.width;
    tex_h_ = image_.height;
    SDL_RenderSetLogicalSize(renderer_, int(tex_w_), int(tex_h_));  // aspect kept, letterboxed
    int w = 0, h = 0;
    SDL_GetWindowSize(window_, &w, &h);
    if (w < int(tex_w_) || h < int(tex_h_)) SDL_SetWindowSize(window_, int(tex_w_), int(tex_h_));
  }
  if (!texture_) return;
  SDL_UpdateTexture(texture_, nullptr, image_.rgb.data(), int(image_.width * 3));
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);
  SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
  ++frames_;
}

void SdlWindow::update_title() {
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - last_title_).count();
  const uint64_t insns = m_.instructions();
  uint64_t exits = 0;
  for (unsigned i = 0; i < m_.cpu_count(); ++i) exits += m_.core_of(i).total_exits();
  const bool have_rate = last_title_.time_since_epoch().count() && secs > 0;
  const double mips = have_rate ? double(insns - title_instructions_) / secs / 1e6 : 0.0;
  // (a technique switch can swap in a core with fewer exits counted: no negative rate then)
  const double exit_rate = have_rate && exits >= title_exits_ ? double(exits - title_exits_) / secs : 0.0;
  last_title_ = now;
  title_instructions_ = insns;
  title_exits_ = exits;
  const std::string title =
      fmt::format("vmlab - {} - mmu {} - {:.1f} MIPS, {:.0f} exits/s{}{}", m_.core().name(), m_.config().mmu,
                  mips, exit_rate,
                  m_.paused() ? " - stopped" : "",
                  grabbed_ ? " - mouse grabbed (Ctrl-Alt-G releases)" : " - Ctrl-Alt-G grabs the mouse, Ctrl-Alt-Q quits");
  SDL_SetWindowTitle(window_, title.c_str());
}

}  // namespace vmlab::ui
