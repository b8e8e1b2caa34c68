#include "worker/image/shapes.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace camoe::image {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Samples per pixel along each axis; 4 x 4 = 16 coverage levels per pixel.
constexpr int kSubsamples = 4;
// A regular pentagram's inner vertices lie at this fraction of the outer
// radius: cos(72 deg) / cos(36 deg).
constexpr double kStarInnerRatio = 0.38196601125010515;

struct Point {
  double x;
  double y;
};

// A shape placed in pixel coordinates. Tests map a sample into the shape's own
// frame (origin at its centre, y up, unrotated) and test it there.
struct PlacedShape {
  Shape shape;
  uint8_t color;  // Index into the palette, i.e. static_cast<int>(Color).
  double cx;
  double cy;
  double radius;  // Half the size in pixels.
  double cos_r;
  double sin_r;
  std::vector<Point> polygon;  // Empty for the circle.
  // Bounding box in pixels, clipped to the image; empty when x0 >= x1.
  int x0, x1, y0, y1;
};

std::vector<Point> RegularPolygon(int vertices, double radius, double start_degrees) {
  std::vector<Point> points;
  for (int i = 0; i < vertices; ++i) {
    const double angle = (start_degrees + 360.0 * i / vertices) * kPi / 180.0;
    points.push_back({radius * std::cos(angle), radius * std::sin(angle)});
  }
  return points;
}

std::vector<Point> Outline(Shape shape, double r) {
  switch (shape) {
    case Shape::kCircle:
      return {};
    case Shape::kSquare:
      return {{r, r}, {-r, r}, {-r, -r}, {r, -r}};
    case Shape::kDiamond:
      return {{r, 0}, {0, r}, {-r, 0}, {0, -r}};
    case Shape::kTriangle:
      return RegularPolygon(3, r, 90.0);
    case Shape::kStar: {
      const std::vector<Point> outer = RegularPolygon(5, r, 90.0);
      const std::vector<Point> inner = RegularPolygon(5, r * kStarInnerRatio, 90.0 + 36.0);
      std::vector<Point> star;
      for (int i = 0; i < 5; ++i) {
        star.push_back(outer[i]);
        star.push_back(inner[i]);
      }
      return star;
    }
  }
  return {};
}

// Even-odd crossing test; correct for the simple (possibly concave) outlines
// above.
bool InsidePolygon(const std::vector<Point>& polygon, double x, double y) {
  bool inside = false;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    const Point& a = polygon[i];
    const Point& b = polygon[j];
    if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

bool Covers(const PlacedShape& s, double px, double py) {
  const double dx = px - s.cx;
  const double dy = s.cy - py;  // Screen y points down; the shape frame's up.
  // Rotate by -rotation to undo the shape's counter-clockwise turn.
  const double u = dx * s.cos_r + dy * s.sin_r;
  const double v = -dx * s.sin_r + dy * s.cos_r;
  if (s.shape == Shape::kCircle) return u * u + v * v <= s.radius * s.radius;
  return InsidePolygon(s.polygon, u, v);
}

absl::StatusOr<PlacedShape> Place(const ShapeInstance& instance, int index, int width,
                                  int height) {
  for (double value : {instance.center_x, instance.center_y, instance.size,
                       instance.rotation_degrees}) {
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", index, " (", ShapeName(instance.shape),
                       ") has a non-finite centre, size or rotation"));
    }
  }
  const int shape_index = static_cast<int>(instance.shape);
  const int color_index = static_cast<int>(instance.color);
  if (shape_index < 0 || shape_index >= static_cast<int>(std::size(kAllShapes)) ||
      color_index < 0 || color_index >= static_cast<int>(std::size(kAllColors))) {
    return absl::InvalidArgumentError(absl::StrCat("shape ", index, " has shape value ",
                                                   shape_index, " and colour value ", color_index,
                                                   ", not members of the Shape and Color enums"));
  }
  if (instance.size <= 0.0 || instance.size > 4.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", index, " (", ShapeName(instance.shape), ") has size ",
                     instance.size, "; it must be in (0, 4] (a fraction of the shorter side)"));
  }
  PlacedShape s;
  s.shape = instance.shape;
  s.color = static_cast<uint8_t>(instance.color);
  s.cx = instance.center_x * width;
  s.cy = instance.center_y * height;
  s.radius = instance.size * std::min(width, height) / 2.0;
  const double angle = instance.rotation_degrees * kPi / 180.0;
  s.cos_r = std::cos(angle);
  s.sin_r = std::sin(angle);
  s.polygon = Outline(instance.shape, s.radius);
  // Every outline lies within radius * sqrt(2) of the centre (the square's
  // corners are the farthest), whatever the rotation.
  const double reach = s.radius * std::sqrt(2.0) + 1.0;
  s.x0 = static_cast<int>(std::clamp(std::floor(s.cx - reach), 0.0, static_cast<double>(width)));
  s.x1 = static_cast<int>(std::clamp(std::ceil(s.cx + reach), 0.0, static_cast<double>(width)));
  s.y0 = static_cast<int>(std::clamp(std::floor(s.cy - reach), 0.0, static_cast<double>(height)));
  s.y1 = static_cast<int>(std::clamp(std::ceil(s.cy + reach), 0.0, static_cast<double>(height)));
  return s;
}

}  // namespace

Rgb ColorRgb(Color color) {
  switch (color) {
    case Color::kBlack: return {0, 0, 0};
    case Color::kWhite: return {255, 255, 255};
    case Color::kRed: return {255, 0, 0};
    case Color::kGreen: return {0, 255, 0};
    case Color::kBlue: return {0, 0, 255};
    case Color::kYellow: return {255, 255, 0};
    case Color::kPurple: return {128, 0, 128};
    case Color::kOrange: return {255, 165, 0};
    case Color::kCyan: return {0, 255, 255};
  }
  return {0, 0, 0};
}

std::string ShapeName(Shape shape) {
  switch (shape) {
    case Shape::kCircle: return "circle";
    case Shape::kSquare: return "square";
    case Shape::kTriangle: return "triangle";
    case Shape::kDiamond: return "diamond";
    case Shape::kStar: return "star";
  }
  return "unknown";
}

std::string ColorName(Color color) {
  switch (color) {
    case Color::kBlack: return "black";
    case Color::kWhite: return "white";
    case Color::kRed: return "red";
    case Color::kGreen: return "green";
    case Color::kBlue: return "blue";
    case Color::kYellow: return "yellow";
    case Color::kPurple: return "purple";
    case Color::kOrange: return "orange";
    case Color::kCyan: return "cyan";
  }
  return "unknown";
}

absl::StatusOr<Shape> ParseShape(const std::string& name) {
  std::vector<std::string> names;
  for (Shape shape : kAllShapes) {
    if (ShapeName(shape) == name) return shape;
    names.push_back(ShapeName(shape));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown shape \"", name, "\"; expected one of ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<Color> ParseColor(const std::string& name) {
  std::vector<std::string> names;
  for (Color color : kAllColors) {
    if (ColorName(color) == name) return color;
    names.push_back(ColorName(color));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown colour \"", name, "\"; expected one of ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<RgbImage> RenderScene(int width, int height, Color background,
                                     const std::vector<ShapeInstance>& shapes) {
  CAMOE_RETURN_IF_ERROR(CheckImageSize(width, height, "rendered scene"));
  std::vector<PlacedShape> placed;
  placed.reserve(shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    CAMOE_ASSIGN_OR_RETURN(PlacedShape s, Place(shapes[i], static_cast<int>(i), width, height));
    placed.push_back(std::move(s));
  }
  Rgb palette[std::size(kAllColors)];
  for (Color color : kAllColors) palette[static_cast<int>(color)] = ColorRgb(color);

  RgbImage image(width, height);
  // One pixel row at a time: the colour (palette index) of each of its
  // kSubsamples x (kSubsamples * width) samples, painted shape by shape.
  const int samples_per_row = kSubsamples * width;
  std::vector<uint8_t> samples(static_cast<size_t>(kSubsamples) * samples_per_row);
  for (int y = 0; y < height; ++y) {
    std::fill(samples.begin(), samples.end(), static_cast<uint8_t>(background));
    for (const PlacedShape& s : placed) {
      if (y < s.y0 || y >= s.y1) continue;
      for (int sy = 0; sy < kSubsamples; ++sy) {
        const double py = y + (sy + 0.5) / kSubsamples;
        uint8_t* row = &samples[static_cast<size_t>(sy) * samples_per_row];
        for (int sx = kSubsamples * s.x0; sx < kSubsamples * s.x1; ++sx) {
          if (Covers(s, (sx + 0.5) / kSubsamples, py)) row[sx] = s.color;
        }
      }
    }
    uint8_t* out = image.Row(y);
    constexpr int kSamples = kSubsamples * kSubsamples;
    for (int x = 0; x < width; ++x) {
      int r = 0, g = 0, b = 0;
      for (int sy = 0; sy < kSubsamples; ++sy) {
        const uint8_t* cell = &samples[static_cast<size_t>(sy) * samples_per_row + kSubsamples * x];
        for (int sx = 0; sx < kSubsamples; ++sx) {
          const Rgb& c = palette[cell[sx]];
          r += c.r;
          g += c.g;
          b += c.b;
        }
      }
      out[3 * x + 0] = static_cast<uint8_t>((r + kSamples / 2) / kSamples);
      out[3 * x + 1] = static_cast<uint8_t>((g + kSamples / 2) / kSamples);
      out[3 * x + 2] = static_cast<uint8_t>((b + kSamples / 2) / kSamples);
    }
  }
  return image;
}

}  // namespace camoe::image
