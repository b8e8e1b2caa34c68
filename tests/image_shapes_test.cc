// The procedural shape renderer of worker/image.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/image/image.h"
#include "worker/image/shapes.h"

namespace camoe::image {
namespace {

using ::testing::HasSubstr;

constexpr double kPi = 3.14159265358979323846;

RgbImage Render(int width, int height, Color background,
                const std::vector<ShapeInstance>& shapes) {
  absl::StatusOr<RgbImage> image = RenderScene(width, height, background, shapes);
  EXPECT_TRUE(image.ok()) << image.status();
  return image.ok() ? *std::move(image) : RgbImage();
}

// The fraction of the image a white-on-black drawing covers, from the
// antialiased (coverage-weighted) red channel.
double CoveredFraction(const RgbImage& image) {
  double sum = 0.0;
  for (int y = 0; y < image.height(); ++y) {
    for (int x = 0; x < image.width(); ++x) sum += image.At(x, y)[0] / 255.0;
  }
  return sum / (static_cast<double>(image.width()) * image.height());
}

int DifferingPixels(const RgbImage& a, const RgbImage& b) {
  int count = 0;
  for (int y = 0; y < a.height(); ++y) {
    for (int x = 0; x < a.width(); ++x) {
      for (int c = 0; c < 3; ++c) {
        if (a.At(x, y)[c] != b.At(x, y)[c]) {
          ++count;
          break;
        }
      }
    }
  }
  return count;
}

void ExpectPixel(const RgbImage& image, int x, int y, Rgb expected) {
  const uint8_t* p = image.At(x, y);
  EXPECT_EQ(p[0], expected.r) << "at " << x << "," << y;
  EXPECT_EQ(p[1], expected.g) << "at " << x << "," << y;
  EXPECT_EQ(p[2], expected.b) << "at " << x << "," << y;
}

TEST(ShapeRendererTest, SameSceneGivesSameBytes) {
  const std::vector<ShapeInstance> scene = {
      {Shape::kStar, Color::kYellow, 0.3, 0.4, 0.5, 17.0},
      {Shape::kTriangle, Color::kCyan, 0.7, 0.6, 0.4, -40.0},
      {Shape::kDiamond, Color::kPurple, 0.5, 0.5, 0.3, 5.0}};
  const RgbImage first = Render(160, 120, Color::kBlue, scene);
  const RgbImage second = Render(160, 120, Color::kBlue, scene);
  EXPECT_TRUE(first == second);
  EXPECT_NE(DifferingPixels(first, Render(160, 120, Color::kBlue, {})), 0);
}

TEST(ShapeRendererTest, CentredRedCircleHasRedCentreAndBlackCorners) {
  const RgbImage image =
      Render(101, 81, Color::kBlack, {{Shape::kCircle, Color::kRed, 0.5, 0.5, 0.6, 0.0}});
  ExpectPixel(image, 50, 40, ColorRgb(Color::kRed));
  ExpectPixel(image, 0, 0, ColorRgb(Color::kBlack));
  ExpectPixel(image, 100, 0, ColorRgb(Color::kBlack));
  ExpectPixel(image, 0, 80, ColorRgb(Color::kBlack));
  ExpectPixel(image, 100, 80, ColorRgb(Color::kBlack));
}

TEST(ShapeRendererTest, EdgesAreAntialiased) {
  // Radius 20.25 px around (50, 50): the pixel straddling x = 70.25 is
  // partly covered.
  const RgbImage image =
      Render(100, 100, Color::kBlack, {{Shape::kCircle, Color::kWhite, 0.5, 0.5, 0.405, 0.0}});
  const int edge = image.At(70, 50)[0];
  EXPECT_GT(edge, 0);
  EXPECT_LT(edge, 255);
}

TEST(ShapeRendererTest, AreasMatchTheGeometry) {
  // 200 x 100: size 0.5 of the shorter side is 50 px.
  const double pixels = 200.0 * 100.0;
  const struct {
    Shape shape;
    double area;  // In pixels, for a 50 px size.
  } cases[] = {
      {Shape::kSquare, 50.0 * 50.0},
      {Shape::kCircle, kPi * 25.0 * 25.0},
      {Shape::kDiamond, 50.0 * 50.0 / 2.0},
      {Shape::kTriangle, 3.0 * std::sqrt(3.0) / 4.0 * 25.0 * 25.0},
  };
  for (const auto& c : cases) {
    for (double rotation : {0.0, 33.0}) {
      const RgbImage image = Render(
          200, 100, Color::kBlack, {{c.shape, Color::kWhite, 0.4, 0.55, 0.5, rotation}});
      EXPECT_NEAR(CoveredFraction(image), c.area / pixels, 0.01 * c.area / pixels)
          << ShapeName(c.shape) << " rotated " << rotation;
    }
  }
}

TEST(ShapeRendererTest, RotationTurnsCounterClockwise) {
  // Triangle of circumradius 40 px at the centre of 100 x 100: its apex is at
  // (50, 10) pointing up; turned 90 degrees counter-clockwise it points left.
  const ShapeInstance upright = {Shape::kTriangle, Color::kWhite, 0.5, 0.5, 0.8, 0.0};
  ShapeInstance turned = upright;
  turned.rotation_degrees = 90.0;
  const RgbImage up = Render(100, 100, Color::kBlack, {upright});
  const RgbImage left = Render(100, 100, Color::kBlack, {turned});
  EXPECT_NE(DifferingPixels(up, left), 0);
  EXPECT_EQ(up.At(50, 16)[0], 255);   // Near the apex.
  EXPECT_EQ(up.At(50, 80)[0], 0);     // Below the base (y = 70).
  EXPECT_EQ(left.At(16, 50)[0], 255);  // Apex now to the left.
  EXPECT_EQ(left.At(80, 50)[0], 0);
}

TEST(ShapeRendererTest, SquareTurnedAQuarterLooksTheSame) {
  ShapeInstance square = {Shape::kSquare, Color::kGreen, 0.5, 0.5, 0.5, 0.0};
  const RgbImage still = Render(64, 64, Color::kBlack, {square});
  square.rotation_degrees = 90.0;
  // Only samples exactly on an edge may flip through cos(90 deg) != 0.
  EXPECT_LE(DifferingPixels(still, Render(64, 64, Color::kBlack, {square})), 4);
  square.rotation_degrees = 30.0;
  EXPECT_GT(DifferingPixels(still, Render(64, 64, Color::kBlack, {square})), 50);
}

TEST(ShapeRendererTest, LaterShapesCoverEarlierOnes) {
  const ShapeInstance big = {Shape::kSquare, Color::kRed, 0.5, 0.5, 0.8, 0.0};
  const ShapeInstance small = {Shape::kCircle, Color::kBlue, 0.5, 0.5, 0.3, 0.0};
  ExpectPixel(Render(50, 50, Color::kWhite, {big, small}), 25, 25, ColorRgb(Color::kBlue));
  ExpectPixel(Render(50, 50, Color::kWhite, {small, big}), 25, 25, ColorRgb(Color::kRed));
}

TEST(ShapeRendererTest, ShapesPastTheEdgeAreClipped) {
  const RgbImage image =
      Render(40, 30, Color::kBlack, {{Shape::kStar, Color::kOrange, 1.0, -0.1, 2.0, 10.0}});
  EXPECT_EQ(image.width(), 40);
  EXPECT_EQ(image.height(), 30);
}

TEST(ShapeRendererTest, RefusesInvalidScenes) {
  EXPECT_FALSE(RenderScene(0, 10, Color::kBlack, {}).ok());
  EXPECT_FALSE(RenderScene(20000, 10, Color::kBlack, {}).ok());
  EXPECT_FALSE(
      RenderScene(10, 10, Color::kBlack, {{Shape::kCircle, Color::kRed, 0.5, 0.5, 0.0, 0.0}})
          .ok());
  EXPECT_FALSE(
      RenderScene(10, 10, Color::kBlack, {{Shape::kCircle, Color::kRed, NAN, 0.5, 0.2, 0.0}})
          .ok());
  EXPECT_FALSE(RenderScene(10, 10, Color::kBlack,
                           {{static_cast<Shape>(42), Color::kRed, 0.5, 0.5, 0.2, 0.0}})
                   .ok());
}

TEST(ShapeNamesTest, NamesRoundTrip) {
  for (Shape shape : kAllShapes) {
    absl::StatusOr<Shape> parsed = ParseShape(ShapeName(shape));
    ASSERT_TRUE(parsed.ok()) << ShapeName(shape);
    EXPECT_EQ(*parsed, shape);
  }
  for (Color color : kAllColors) {
    absl::StatusOr<Color> parsed = ParseColor(ColorName(color));
    ASSERT_TRUE(parsed.ok()) << ColorName(color);
    EXPECT_EQ(*parsed, color);
  }
  EXPECT_EQ(ShapeName(Shape::kDiamond), "diamond");
  EXPECT_EQ(ColorName(Color::kPurple), "purple");
}

TEST(ShapeNamesTest, UnknownNamesListTheValidOnes) {
  absl::StatusOr<Shape> shape = ParseShape("hexagon");
  ASSERT_FALSE(shape.ok());
  EXPECT_THAT(std::string(shape.status().message()), HasSubstr("hexagon"));
  EXPECT_THAT(std::string(shape.status().message()), HasSubstr("circle, square"));
  EXPECT_FALSE(ParseColor("Red").ok());  // Names are exact, lower case.
}

}  // namespace
}  // namespace camoe::image
