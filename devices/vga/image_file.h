// Writes an RgbImage to a file: PNG when the name ends in ".png", binary PPM (P6) otherwise.
// PNG goes through libpng (a well-kept library, not a hand-made encoder); encode_png() returns
// an empty vector for an empty image.
//
//   std::string err = write_image_file(img, "screen.png");   // "" on success
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/vga/vga_render.h"

namespace vmlab::devices::vga {

std::vector<uint8_t> encode_png(const RgbImage& img);
// Decodes a PNG into 8-bit RGB (tests and tools); false if it is not a readable PNG.
bool decode_png(const std::vector<uint8_t>& png, RgbImage& out);
std::vector<uint8_t> encode_ppm(const RgbImage& img);
// Returns "" on success, else a one-line message naming the file and the reason.
std::string write_image_file(const RgbImage& img, const std::string& path);

}  // namespace vmlab::devices::vga
