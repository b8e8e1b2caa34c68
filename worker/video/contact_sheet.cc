#include "worker/video/contact_sheet.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace camoe::video {
namespace {

// 5x7 glyphs, one byte per row, the low 5 bits left to right.
struct Glyph {
  char c;
  uint8_t rows[7];
};

constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1E, 0x01, 0x01, 0x0E, 0x01, 0x01, 0x1E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {'#', {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {'s', {0x00, 0x00, 0x0F, 0x10, 0x0E, 0x01, 0x1E}},
    {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
};
constexpr Glyph kUnknown = {'?', {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F}};
constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kPadding = 4;
constexpr uint8_t kBackground = 32;

const Glyph& GlyphFor(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return g;
  }
  return kUnknown;
}

}  // namespace

void DrawLabel(image::RgbImage& image, int x, int y, const std::string& text, int scale) {
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& glyph = GlyphFor(text[i]);
    const int left = x + static_cast<int>(i) * (kGlyphWidth + 1) * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (!(glyph.rows[row] & (0x10 >> col))) continue;
        for (int dy = 0; dy < scale; ++dy) {
          for (int dx = 0; dx < scale; ++dx) {
            const int px = left + col * scale + dx;
            const int py = y + row * scale + dy;
            if (px < 0 || py < 0 || px >= image.width() || py >= image.height()) continue;
            std::memset(image.At(px, py), 255, 3);
          }
        }
      }
    }
  }
}

absl::StatusOr<image::RgbImage> MakeContactSheet(const std::vector<image::RgbImage>& frames,
                                                 const std::vector<std::string>& labels,
                                                 int columns) {
  if (frames.empty()) return absl::InvalidArgumentError("a contact sheet needs frames");
  if (labels.size() != frames.size()) {
    return absl::InvalidArgumentError(absl::StrCat("contact sheet: ", labels.size(),
                                                   " labels for ", frames.size(), " frames"));
  }
  const int count = static_cast<int>(frames.size());
  if (columns <= 0) columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(count))));
  columns = std::min(columns, count);
  const int rows = (count + columns - 1) / columns;
  int cell_w = 0, cell_h = 0;
  for (const image::RgbImage& f : frames) {
    cell_w = std::max(cell_w, f.width());
    cell_h = std::max(cell_h, f.height());
  }
  const int scale = cell_w >= 160 ? 2 : 1;
  const int label_h = kGlyphHeight * scale + kPadding;
  const int64_t width = int64_t{columns} * (cell_w + kPadding) + kPadding;
  const int64_t height = int64_t{rows} * (cell_h + label_h + kPadding) + kPadding;
  CAMOE_RETURN_IF_ERROR(image::CheckImageSize(width, height, "contact sheet"));
  image::RgbImage sheet(static_cast<int>(width), static_cast<int>(height));
  std::fill(sheet.data(), sheet.data() + sheet.pixels().size(), kBackground);
  for (int i = 0; i < count; ++i) {
    const int x0 = kPadding + (i % columns) * (cell_w + kPadding);
    const int y0 = kPadding + (i / columns) * (cell_h + label_h + kPadding);
    const image::RgbImage& f = frames[i];
    for (int y = 0; y < f.height(); ++y) {
      std::memcpy(sheet.At(x0, y0 + y), f.Row(y), size_t{3} * f.width());
    }
    DrawLabel(sheet, x0, y0 + cell_h + kPadding / 2, labels[i], scale);
  }
  return sheet;
}

}  // namespace camoe::video
