// A procedural renderer of simple coloured shapes on a plain background, for
// generated images and synthetic videos whose captions name what they show
// ("a red circle and a blue square"). Shapes and colours are enums with
// stable lower-case names for captions and configs. Rendering is a pure
// function of its arguments (no randomness inside; callers own any RNG), so
// the same scene gives the same bytes. Stateless; thread-safe.
#ifndef CAMOE_WORKER_IMAGE_SHAPES_H_
#define CAMOE_WORKER_IMAGE_SHAPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/image/image.h"

namespace camoe::image {

enum class Shape { kCircle, kSquare, kTriangle, kDiamond, kStar };
inline constexpr Shape kAllShapes[] = {Shape::kCircle, Shape::kSquare, Shape::kTriangle,
                                       Shape::kDiamond, Shape::kStar};

enum class Color { kBlack, kWhite, kRed, kGreen, kBlue, kYellow, kPurple, kOrange, kCyan };
inline constexpr Color kAllColors[] = {Color::kBlack,  Color::kWhite,  Color::kRed,
                                       Color::kGreen,  Color::kBlue,   Color::kYellow,
                                       Color::kPurple, Color::kOrange, Color::kCyan};

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
};

// The sRGB value of a named colour (red is 255, 0, 0; orange 255, 165, 0; ...).
Rgb ColorRgb(Color color);

// Lower-case English names ("circle", "red"); Parse* accept exactly these and
// return InvalidArgument listing the valid names otherwise.
std::string ShapeName(Shape shape);
std::string ColorName(Color color);
absl::StatusOr<Shape> ParseShape(const std::string& name);
absl::StatusOr<Color> ParseColor(const std::string& name);

struct ShapeInstance {
  Shape shape = Shape::kCircle;
  Color color = Color::kWhite;
  // Centre as fractions of the image width and height; (0.5, 0.5) is the
  // middle, (0, 0) the top-left corner. Shapes may extend past the edges.
  double center_x = 0.5;
  double center_y = 0.5;
  // Extent as a fraction of the shorter image side: the circle's diameter,
  // the square's side, the diamond's diagonal; the triangle (equilateral) and
  // the five-pointed star are inscribed in the circle of that diameter.
  double size = 0.25;
  // Counter-clockwise as seen on screen. At 0 the square's sides are
  // axis-aligned and the triangle and star point up.
  double rotation_degrees = 0.0;
};

// A width x height image of `background` with `shapes` painted in order
// (later shapes cover earlier ones). Edges are antialiased by 4 x 4
// supersampling: a pixel is the rounded mean of its 16 samples.
// InvalidArgument for a size outside CheckImageSize's limits, or a shape with
// a non-finite value or a size outside (0, 4].
absl::StatusOr<RgbImage> RenderScene(int width, int height, Color background,
                                     const std::vector<ShapeInstance>& shapes);

}  // namespace camoe::image

#endif  // CAMOE_WORKER_IMAGE_SHAPES_H_
