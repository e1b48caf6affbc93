// RGB raster images: PNG encoding/decoding (libpng), a tiny drawing canvas with a built-in
// 5x7 bitmap font (ASCII 32..126), and colour maps for heat maps. No LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ascnet {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;

  Image() = default;
  Image(int w, int h, Rgb fill = {255, 255, 255});
  Rgb At(int x, int y) const;
  void Set(int x, int y, Rgb c);  ///< ignores pixels outside the image
};

/// PNG file image (8-bit RGB). FormatError if the image is empty or libpng fails.
std::string EncodePng(const Image& img);
/// Decodes any PNG libpng reads (converted to 8-bit RGB; alpha composited onto white).
/// FormatError naming `name` if it is not a PNG.
Image DecodePng(const std::string& bytes, const std::string& name = "");
/// EncodePng + atomic write (IoError if the file cannot be written).
void WritePng(const std::string& path, const Image& img);
/// Reads and decodes a PNG file (IoError / FormatError).
Image ReadPng(const std::string& path);

/// Colour map lookups for v in [0, 1] (clamped): "viridis"-like (dark blue -> yellow) and
/// "magma"-like (black -> purple -> orange -> light yellow).
Rgb Viridis(double v);
Rgb Magma(double v);

/// Width in pixels of `text` in the 5x7 font at `scale` (6 * scale per character, no
/// trailing gap).
int TextWidth(const std::string& text, int scale = 1);
constexpr int kFontHeight = 7;  ///< glyph height at scale 1

/// Drawing helpers (clipped to the image).
void FillRect(Image* img, int x, int y, int w, int h, Rgb c);
void DrawRectOutline(Image* img, int x, int y, int w, int h, Rgb c);
/// Draws `text` with its top-left corner at (x, y); characters outside 32..126 draw as '?'.
void DrawText(Image* img, int x, int y, const std::string& text, Rgb c, int scale = 1);
/// Draws a rows x cols matrix (row 0 at the top) into the rectangle (x, y, w, h), nearest
/// neighbour, values mapped linearly from [lo, hi] to [0, 1] through `cmap`.
void DrawHeatMap(Image* img, int x, int y, int w, int h, const float* values, int rows, int cols, double lo,
                 double hi, Rgb (*cmap)(double));

}  // namespace ascnet
