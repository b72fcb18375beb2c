// PNG (libpng, Debian's libpng-dev) and PPM writers (see image_file.h).
#include "devices/vga/image_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <png.h>

namespace vmlab::devices::vga {

std::vector<uint8_t> encode_png(const RgbImage& img) {
  // libpng's simplified API: 8-bit RGB rows, compressed. An empty vector if libpng refuses.
  png_image pi{};
  pi.version = PNG_IMAGE_VERSION;
  pi.width = img.width;
  pi.height = img.height;
  pi.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (img.width == 0 || img.height == 0 || img.rgb.size() < size_t(img.width) * img.height * 3 ||
      !png_image_write_to_memory(&pi, nullptr, &size, 0, img.rgb.data(), 0, nullptr))
    return {};
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&pi, out.data(), &size, 0, img.rgb.data(), 0, nullptr)) return {};
  out.resize(size);
  return out;
}

bool decode_png(const std::vector<uint8_t>& png, RgbImage& out) {
  png_image pi{};
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&pi, png.data(), png.size())) return false;
  pi.format = PNG_FORMAT_RGB;
  out.width = pi.width;
  out.height = pi.height;
  out.rgb.assign(PNG_IMAGE_SIZE(pi), 0);
  if (!png_image_finish_read(&pi, nullptr, out.rgb.data(), 0, nullptr)) {
    png_image_free(&pi);
    return false;
  }
  return true;
}

std::vector<uint8_t> encode_ppm(const RgbImage& img) {
  std::string header = fmt::format("P6\n{} {}\n255\n", img.width, img.height);
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), img.rgb.begin(), img.rgb.end());
  return out;
}

std::string write_image_file(const RgbImage& img, const std::string& path) {
  const bool png = path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  std::vector<uint8_t> bytes = png ? encode_png(img) : encode_ppm(img);
  if (bytes.empty()) return fmt::format("cannot write {}: no image to encode ({}x{})", path, img.width, img.height);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return fmt::format("cannot write {}: {}", path, std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? "" : fmt::format("cannot write {}: {}", path, std::strerror(errno));
}

}  // namespace vmlab::devices::vga
