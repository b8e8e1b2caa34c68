// The plan of the synthetic default dataset: which entity (shape x colour)
// does which action in which scene in each video, which split it belongs to,
// and its captions. The plan is a pure function of SyntheticOptions (our own
// integer RNG, no std:: distributions, so every platform draws the same);
// synthetic.h renders and writes it. docs/video.md explains the design:
// entity words alone and action words alone each match several videos, and
// only the (entity, action) pair identifies one. Stateless; thread-safe.
#ifndef CAMOE_WORKER_VIDEO_SYNTHETIC_DESIGN_H_
#define CAMOE_WORKER_VIDEO_SYNTHETIC_DESIGN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/image/shapes.h"

namespace camoe::video {

enum class Action {
  kMoveLeft, kMoveRight, kMoveUp, kMoveDown, kGrow, kShrink, kSpin, kBounce, kFade, kStayStill
};
inline constexpr Action kAllActions[] = {
    Action::kMoveLeft, Action::kMoveRight, Action::kMoveUp, Action::kMoveDown, Action::kGrow,
    Action::kShrink,   Action::kSpin,      Action::kBounce, Action::kFade,     Action::kStayStill};

// "move_left", "grow", ..., "stay_still".
std::string ActionName(Action action);

enum class Pattern { kPlain, kDotted };
std::string PatternName(Pattern pattern);  // "plain", "dotted"

struct SyntheticOptions {
  int videos = 200;             // number of videos (1 .. 100000)
  uint64_t seed = 1;            // everything (plan, pixels, bytes) follows from it
  int frames_per_video = 16;    // frames per clip (2 .. 1000)
  double fps = 8;               // frame rate; clips last frames_per_video / fps seconds
  int size = 64;                // width = height in pixels (even, 16 .. 1024)
  int captions_per_video = 10;  // distinct captions per video (1 .. 40)
};

// Fractions of the frame size, as image::ShapeInstance takes them.
struct Placement {
  double x = 0.5;
  double y = 0.5;
  double size = 0.3;
};

struct SyntheticObject {
  image::Shape shape = image::Shape::kCircle;
  image::Color color = image::Color::kRed;
  Placement placement;  // the primary object's base placement; where a distractor stays
};

struct SyntheticVideo {
  int index = 0;              // video<index>
  std::string split;          // "train", "validate" or "test" (MSR-VTT's names)
  SyntheticObject primary;    // the entity that does `action`
  Action action = Action::kStayStill;
  std::vector<SyntheticObject> distractors;  // 0-2 objects that stay still
  image::Color background = image::Color::kBlack;
  Pattern pattern = Pattern::kPlain;
  std::vector<std::string> captions;
};

// The whole plan; InvalidArgument for options out of range.
struct SyntheticPlan {
  std::vector<SyntheticVideo> videos;
  int entities = 0;   // distinct entities used (E)
  int actions = 0;    // distinct actions used (A)
  int layers = 0;     // rounds in which every entity appears once (Q)
};
absl::StatusOr<SyntheticPlan> PlanSyntheticDataset(const SyntheticOptions& options);

// OK when `options` are within the ranges above, else InvalidArgument naming
// the field.
absl::Status ValidateSyntheticOptions(const SyntheticOptions& options);

// A small deterministic generator (splitmix64): the same seed gives the same
// numbers on every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  double Uniform(double lo, double hi);  // [lo, hi)
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (int i = static_cast<int>(items.size()) - 1; i > 0; --i) std::swap(items[i], items[Below(i + 1)]);
  }

 private:
  uint64_t state_;
};

// Captions for one video, from the grammar in docs/video.md; distinct
// (up to `count`, fewer only if the grammar runs out).
std::vector<std::string> MakeCaptions(const SyntheticVideo& video, int count, SplitMix64& rng);

}  // namespace camoe::video

#endif  // CAMOE_WORKER_VIDEO_SYNTHETIC_DESIGN_H_
