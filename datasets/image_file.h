// One image file decoded to 8-bit pixels: PNG through libpng, JPEG through libjpeg(-turbo).
// Never a decoder of our own. LibTorch-free.
//
// Conventions (those of PIL's decoders; torchvision's ImageFolder further converts every image
// to RGB, where data.channels decides here):
// - The decoder is chosen by the file's first bytes (PNG's signature, JPEG's FF D8 FF), so a
//   PNG named .jpg reads fine; a file with neither signature goes to the decoder its extension
//   names, so that the library says what is wrong with it ("Not a PNG file").
// - Output is 8 bits per sample, rows top to bottom, samples interleaved (H x W x C): 1 channel
//   for a grayscale file (PNG colour types 0 and 4, a one-component JPEG), 3 (RGB) for the rest
//   (PNG palette and RGB(A), YCbCr/RGB JPEG).
// - PNG samples come out as stored: no gamma correction (a gAMA chunk is ignored), palettes
//   and 1/2/4-bit gray expanded, 16-bit samples scaled to 8 bits (v * 255 / 65535, rounded).
// - Alpha (PNG colour types 4 and 6, or a tRNS chunk) is removed by compositing onto black on
//   the stored values: v * a / 255, rounded (transparent = 0, opaque = v). Black is the
//   background of this project's image data (Fashion-MNIST's garments lie on 0, random erasing
//   erases to 0). (libpng's simplified API, png_image_finish_read, would instead composite in
//   linear light onto its background argument or, when that is NULL, onto what the buffer holds,
//   and would gamma-convert 16-bit files; hence the plain read API here.)
// - JPEG: libjpeg's defaults (islow DCT, fancy upsampling), as PIL decodes. CMYK/YCCK JPEGs are
//   refused.
//
// Errors (std::runtime_error): a missing or unreadable file, a corrupt or truncated one (a PNG
// cut anywhere before its IEND chunk, a bad CRC in a critical chunk, bad compressed data), and
// a file that is not an image, each naming the file and what the library said. Any warning
// libjpeg gives (e.g. "Premature end of JPEG file" for a truncated file, "Corrupt JPEG data:
// ...") is an error too. Neither library's errors exit() the process: both longjmp back here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

struct DecodedImage {
  int64_t height = 0, width = 0, channels = 0;  // channels: 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;                   // height x width x channels
  std::string format;                            // "PNG" or "JPEG"
  bool had_alpha = false;                        // an alpha channel or tRNS, composited onto black
};

DecodedImage decode_image(const std::string& path);

// ITU-R BT.601 luma of 8-bit R, G, B, rounded: (19595 R + 38470 G + 7471 B + 32768) >> 16, the
// integer formula of libjpeg's RGB->grayscale conversion and of PIL's convert("L").
inline uint8_t luma_bt601(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((19595u * r + 38470u * g + 7471u * b + 32768u) >> 16);
}

// True for a file name ending in .png, .jpg or .jpeg (any case): the files read as images.
bool is_image_file_name(const std::string& name);

}  // namespace attnlab
