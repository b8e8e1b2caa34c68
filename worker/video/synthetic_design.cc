#include "worker/video/synthetic_design.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"

namespace camoe::video {
namespace {

using image::Color;
using image::Shape;

// Objects take the seven chromatic colours; black and white only paint
// backgrounds, so an object never disappears into a same-coloured scene.
constexpr Color kObjectColors[] = {Color::kRed,    Color::kGreen,  Color::kBlue, Color::kYellow,
                                   Color::kPurple, Color::kOrange, Color::kCyan};
constexpr int kMaxEntities = 5 * 7;
constexpr int kMaxAttempts = 200;

struct Entity {
  Shape shape;
  Color color;
  bool operator<(const Entity& o) const {
    return std::pair(shape, color) < std::pair(o.shape, o.color);
  }
  bool operator==(const Entity& o) const { return shape == o.shape && color == o.color; }
};

// Note [Synthetic design]. Videos fill a grid of E entities x A actions
// layer by layer: in layer q entity r does action (r + q) mod A. Within the
// first A layers no (entity, action) pair repeats, every entity appears once
// per layer (so in >= 2 videos once there are 2 layers), and with E >= A
// every action appears in every layer. E and A grow with the dataset so that
// it needs at most A - 1 layers: the spare action is where a circle goes
// instead of spinning (a spinning circle looks still). Splits are whole
// layers: test takes layers 0 and 1, so the property holds inside it too;
// validation (layer 2, from 6 layers on) is one layer and does not have it.
// A shuffle of entities and actions that breaks it (rare: circles at every
// spin slot) is redrawn.
struct Grid {
  int entities;
  int actions;
  int layers;
};

Grid GridFor(int videos) {
  Grid grid;
  grid.actions = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(videos))), 2, 10);
  grid.entities = std::min(kMaxEntities, (videos + grid.actions - 2) / (grid.actions - 1));
  grid.entities = std::max(grid.entities, 1);
  grid.layers = (videos + grid.entities - 1) / grid.entities;
  return grid;
}

std::string SplitOfLayer(int layer, int layers) {
  if (layers < 4) return layer == 0 ? "test" : "train";
  if (layer < 2) return "test";
  if (layer == 2 && layers >= 6) return "validate";
  return "train";
}

// Whether, within `videos` restricted to `split` ("" = all), every video's
// entity and action each occur at least twice and its pair once.
bool HasDesignProperty(const std::vector<SyntheticVideo>& videos, const std::string& split,
                       bool pairs_unique) {
  std::map<Entity, int> entity_count;
  std::map<Action, int> action_count;
  std::map<std::pair<Entity, Action>, int> pair_count;
  int members = 0;
  for (const SyntheticVideo& v : videos) {
    if (!split.empty() && v.split != split) continue;
    ++members;
    const Entity e{v.primary.shape, v.primary.color};
    ++entity_count[e];
    ++action_count[v.action];
    ++pair_count[{e, v.action}];
  }
  if (members < 4) return true;  // too small to ask
  for (const SyntheticVideo& v : videos) {
    if (!split.empty() && v.split != split) continue;
    const Entity e{v.primary.shape, v.primary.color};
    if (entity_count[e] < 2 || action_count[v.action] < 2) return false;
    if (pairs_unique && pair_count[{e, v.action}] != 1) return false;
  }
  return true;
}

// Where the primary object is at progress 0 and 1 (for keeping distractors
// off its path) and how large it gets.
void PrimaryPath(const SyntheticVideo& v, Placement* from, Placement* to) {
  *from = *to = v.primary.placement;
  switch (v.action) {
    case Action::kMoveLeft: from->x = 0.8; to->x = 0.2; break;
    case Action::kMoveRight: from->x = 0.2; to->x = 0.8; break;
    case Action::kMoveUp: from->y = 0.8; to->y = 0.2; break;
    case Action::kMoveDown: from->y = 0.2; to->y = 0.8; break;
    case Action::kGrow: case Action::kShrink: from->size = to->size = 0.5; break;
    case Action::kBounce: from->y = 0.75; to->y = 0.3; break;
    default: break;
  }
}

double DistanceToSegment(double px, double py, const Placement& a, const Placement& b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double length2 = dx * dx + dy * dy;
  double t = length2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / length2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (a.x + t * dx), py - (a.y + t * dy));
}

void PlaceScene(SyntheticVideo& v, SplitMix64& rng) {
  v.primary.placement = {rng.Uniform(0.35, 0.65), rng.Uniform(0.35, 0.65), rng.Uniform(0.28, 0.36)};
  Placement from, to;
  PrimaryPath(v, &from, &to);
  const int roll = rng.Below(10);
  const int distractors = roll < 5 ? 0 : (roll < 8 ? 1 : 2);
  for (int d = 0; d < distractors; ++d) {
    SyntheticObject object;
    do {
      object.shape = image::kAllShapes[rng.Below(5)];
      object.color = kObjectColors[rng.Below(7)];
    } while (object.shape == v.primary.shape && object.color == v.primary.color);
    object.placement.size = rng.Uniform(0.18, 0.24);
    bool placed = false;
    for (int attempt = 0; attempt < 100 && !placed; ++attempt) {
      object.placement.x = rng.Uniform(0.15, 0.85);
      object.placement.y = rng.Uniform(0.15, 0.85);
      const double clearance = (std::max(from.size, to.size) + object.placement.size) / 2 + 0.04;
      placed = DistanceToSegment(object.placement.x, object.placement.y, from, to) > clearance;
      for (const SyntheticObject& other : v.distractors) {
        placed = placed && std::hypot(object.placement.x - other.placement.x,
                                      object.placement.y - other.placement.y) >
                               (object.placement.size + other.placement.size) / 2 + 0.04;
      }
    }
    if (placed) v.distractors.push_back(object);
  }
  std::vector<Color> backgrounds;
  for (Color c : image::kAllColors) {
    bool used = c == v.primary.color;
    for (const SyntheticObject& o : v.distractors) used = used || c == o.color;
    if (!used) backgrounds.push_back(c);
  }
  v.background = backgrounds[rng.Below(static_cast<int>(backgrounds.size()))];
  v.pattern = rng.Below(10) < 3 ? Pattern::kDotted : Pattern::kPlain;
}

}  // namespace

std::string ActionName(Action action) {
  switch (action) {
    case Action::kMoveLeft: return "move_left";
    case Action::kMoveRight: return "move_right";
    case Action::kMoveUp: return "move_up";
    case Action::kMoveDown: return "move_down";
    case Action::kGrow: return "grow";
    case Action::kShrink: return "shrink";
    case Action::kSpin: return "spin";
    case Action::kBounce: return "bounce";
    case Action::kFade: return "fade";
    case Action::kStayStill: return "stay_still";
  }
  return "unknown";
}

std::string PatternName(Pattern pattern) {
  return pattern == Pattern::kDotted ? "dotted" : "plain";
}

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::Uniform(double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(Next() >> 11) * 0x1.0p-53;
}

absl::Status ValidateSyntheticOptions(const SyntheticOptions& o) {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError(what); };
  if (o.videos < 1 || o.videos > 100000) {
    return bad(absl::StrCat("videos must be in 1..100000, got ", o.videos));
  }
  if (o.frames_per_video < 2 || o.frames_per_video > 1000) {
    return bad(absl::StrCat("frames_per_video must be in 2..1000, got ", o.frames_per_video));
  }
  if (!(o.fps >= 1 && o.fps <= 120)) return bad(absl::StrCat("fps must be in 1..120, got ", o.fps));
  if (o.size < 16 || o.size > 1024 || o.size % 2 != 0) {
    return bad(absl::StrCat("size must be even and in 16..1024, got ", o.size));
  }
  if (o.captions_per_video < 1 || o.captions_per_video > 40) {
    return bad(absl::StrCat("captions_per_video must be in 1..40, got ", o.captions_per_video));
  }
  return absl::OkStatus();
}

absl::StatusOr<SyntheticPlan> PlanSyntheticDataset(const SyntheticOptions& options) {
  if (absl::Status s = ValidateSyntheticOptions(options); !s.ok()) return s;
  SplitMix64 rng(options.seed);
  const Grid grid = GridFor(options.videos);
  const bool pairs_unique = grid.layers <= grid.actions;
  std::vector<Entity> all_entities;
  for (Shape s : image::kAllShapes) {
    for (Color c : kObjectColors) all_entities.push_back({s, c});
  }
  std::vector<Action> all_actions(std::begin(kAllActions), std::end(kAllActions));

  SyntheticPlan plan;
  plan.entities = grid.entities;
  plan.actions = grid.actions;
  plan.layers = grid.layers;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    rng.Shuffle(all_entities);
    rng.Shuffle(all_actions);
    plan.videos.clear();
    for (int i = 0; i < options.videos; ++i) {
      const int layer = i / grid.entities;
      const int r = i % grid.entities;
      SyntheticVideo v;
      v.index = i;
      v.split = SplitOfLayer(layer, grid.layers);
      v.primary.shape = all_entities[r].shape;
      v.primary.color = all_entities[r].color;
      v.action = all_actions[(r + layer) % grid.actions];
      if (v.action == Action::kSpin && v.primary.shape == Shape::kCircle) {
        v.action = all_actions[(r + grid.layers) % grid.actions];
      }
      plan.videos.push_back(std::move(v));
    }
    // The whole set and the test split (retrieval is evaluated inside it);
    // with fewer than 4 layers the test split is one layer and cannot have it.
    const bool good = HasDesignProperty(plan.videos, "", pairs_unique) &&
                      (grid.layers < 4 || HasDesignProperty(plan.videos, "test", pairs_unique));
    if (good) break;
  }
  // Scenes and captions come from a stream of their own, after the design
  // settled, so a redraw above does not shift them.
  SplitMix64 scene_rng(options.seed ^ 0x5ce4e5ull);
  for (SyntheticVideo& v : plan.videos) {
    PlaceScene(v, scene_rng);
    v.captions = MakeCaptions(v, options.captions_per_video, scene_rng);
  }
  return plan;
}

}  // namespace camoe::video
