// The caption grammar of the synthetic dataset (docs/video.md, "Caption
// grammar"). Every caption names the primary entity's colour and shape (or
// synonyms) and its action, so the (entity, action) pair can always be read
// off a caption; scenes and distractors appear only in some templates.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "worker/video/synthetic_design.h"

namespace camoe::video {
namespace {

using image::Color;
using image::Shape;

std::vector<std::string> ColorWords(Color color) {
  switch (color) {
    case Color::kRed: return {"red", "crimson", "scarlet"};
    case Color::kGreen: return {"green", "emerald", "lime"};
    case Color::kBlue: return {"blue", "azure", "cobalt"};
    case Color::kYellow: return {"yellow", "golden", "lemon"};
    case Color::kPurple: return {"purple", "violet", "plum"};
    case Color::kOrange: return {"orange", "amber", "tangerine"};
    case Color::kCyan: return {"cyan", "turquoise", "aqua"};
    case Color::kBlack: return {"black", "dark"};
    case Color::kWhite: return {"white", "bright white"};
  }
  return {"coloured"};
}

std::vector<std::string> ShapeWords(Shape shape) {
  switch (shape) {
    case Shape::kCircle: return {"circle", "ball", "disc"};
    case Shape::kSquare: return {"square", "box", "block"};
    case Shape::kTriangle: return {"triangle", "wedge"};
    case Shape::kDiamond: return {"diamond", "rhombus"};
    case Shape::kStar: return {"star"};
  }
  return {"shape"};
}

// A verb phrase in the third person singular and as a participle.
struct Verb {
  const char* present;
  const char* participle;
};

std::vector<Verb> ActionVerbs(Action action, Shape shape) {
  switch (action) {
    case Action::kMoveLeft: {
      std::vector<Verb> verbs = {{"moves to the left", "moving to the left"},
                                 {"slides left", "sliding left"},
                                 {"travels leftward", "traveling leftward"},
                                 {"drifts to the left", "drifting to the left"},
                                 {"glides left", "gliding left"}};
      if (shape == Shape::kCircle) verbs.push_back({"rolls to the left", "rolling to the left"});
      return verbs;
    }
    case Action::kMoveRight: {
      std::vector<Verb> verbs = {{"moves to the right", "moving to the right"},
                                 {"slides right", "sliding right"},
                                 {"travels rightward", "traveling rightward"},
                                 {"drifts to the right", "drifting to the right"},
                                 {"glides right", "gliding right"}};
      if (shape == Shape::kCircle) verbs.push_back({"rolls to the right", "rolling to the right"});
      return verbs;
    }
    case Action::kMoveUp:
      return {{"moves up", "moving up"}, {"rises", "rising"}, {"floats upward", "floating upward"},
              {"climbs", "climbing"}, {"goes up", "going up"}};
    case Action::kMoveDown:
      return {{"moves down", "moving down"}, {"falls", "falling"}, {"sinks", "sinking"},
              {"drops", "dropping"}, {"goes down", "going down"}};
    case Action::kGrow:
      return {{"grows", "growing"}, {"gets bigger", "getting bigger"},
              {"expands", "expanding"}, {"swells", "swelling"}, {"grows larger", "growing larger"}};
    case Action::kShrink:
      return {{"shrinks", "shrinking"}, {"gets smaller", "getting smaller"},
              {"contracts", "contracting"}, {"becomes smaller", "becoming smaller"},
              {"dwindles", "dwindling"}};
    case Action::kSpin:
      return {{"spins", "spinning"}, {"rotates", "rotating"}, {"turns around", "turning around"},
              {"twirls", "twirling"}, {"spins around", "spinning around"}};
    case Action::kBounce:
      return {{"bounces", "bouncing"}, {"hops", "hopping"},
              {"jumps up and down", "jumping up and down"},
              {"bounces up and down", "bouncing up and down"}};
    case Action::kFade:
      return {{"fades away", "fading away"}, {"disappears", "disappearing"},
              {"vanishes", "vanishing"}, {"fades out", "fading out"},
              {"slowly disappears", "slowly disappearing"}};
    case Action::kStayStill:
      return {{"stays still", "staying still"}, {"does not move", "not moving"},
              {"sits still", "sitting still"}, {"remains in place", "remaining in place"},
              {"rests", "resting"}};
  }
  return {{"moves", "moving"}};
}

template <typename T>
const T& Pick(const std::vector<T>& items, SplitMix64& rng) {
  return items[rng.Below(static_cast<int>(items.size()))];
}

// "a" or "an" before `word`.
std::string Indefinite(const std::string& word) {
  return std::string("aeiou").find(word[0]) != std::string::npos ? "an" : "a";
}

// "<colour> <shape>" with synonyms.
std::string Noun(Shape shape, Color color, SplitMix64& rng) {
  return absl::StrCat(Pick(ColorWords(color), rng), " ", Pick(ShapeWords(shape), rng));
}

std::string WithArticle(const std::string& phrase, SplitMix64& rng, bool definite_allowed) {
  if (definite_allowed && rng.Below(3) == 0) return "the " + phrase;
  return Indefinite(phrase) + " " + phrase;
}

std::string Scene(const SyntheticVideo& v, SplitMix64& rng) {
  std::string colour = Pick(ColorWords(v.background), rng);
  if (v.pattern == Pattern::kDotted) colour = Pick(std::vector<std::string>{"dotted", "spotted"}, rng) + " " + colour;
  const char* preposition = Pick(std::vector<const char*>{"on", "against", "in front of"}, rng);
  const char* noun = Pick(std::vector<const char*>{"background", "backdrop"}, rng);
  return absl::StrCat(preposition, " ", Indefinite(colour), " ", colour, " ", noun);
}

std::string OneCaption(const SyntheticVideo& v, SplitMix64& rng) {
  const Shape shape = v.primary.shape;
  const Color color = v.primary.color;
  const Verb verb = Pick(ActionVerbs(v.action, shape), rng);
  const int templates = v.distractors.empty() ? 7 : 9;
  switch (rng.Below(templates)) {
    case 0:
    case 1:  // "the crimson circle slides left"
      return absl::StrCat(WithArticle(Noun(shape, color, rng), rng, true), " ", verb.present);
    case 2:  // "a square grows on a blue background"
      return absl::StrCat(WithArticle(Noun(shape, color, rng), rng, true), " ", verb.present, " ",
                          Scene(v, rng));
    case 3:  // "there is a red ball rolling to the left"
      return absl::StrCat("there is ", WithArticle(Noun(shape, color, rng), rng, false), " ",
                          verb.participle);
    case 4:  // "a video of an amber star spinning"
      return absl::StrCat("a video of ", WithArticle(Noun(shape, color, rng), rng, false), " ",
                          verb.participle);
    case 5: {  // "a ball that is crimson slides left"
      const std::string noun = Pick(ShapeWords(shape), rng);
      return absl::StrCat(Indefinite(noun), " ", noun, " that is ", Pick(ColorWords(color), rng),
                          " ", verb.present);
    }
    case 6:  // "on a black backdrop a green box expands"
      return absl::StrCat(Scene(v, rng), " ", WithArticle(Noun(shape, color, rng), rng, false),
                          " ", verb.present);
    case 7: {  // "a red circle falls while a blue star stays still"
      const SyntheticObject& other = Pick(v.distractors, rng);
      return absl::StrCat(WithArticle(Noun(shape, color, rng), rng, true), " ", verb.present,
                          " while ", WithArticle(Noun(other.shape, other.color, rng), rng, false),
                          " ", Pick(ActionVerbs(Action::kStayStill, other.shape), rng).present);
    }
    default: {  // "a cyan wedge rotates next to an orange box"
      const SyntheticObject& other = Pick(v.distractors, rng);
      return absl::StrCat(WithArticle(Noun(shape, color, rng), rng, true), " ", verb.present,
                          " next to ",
                          WithArticle(Noun(other.shape, other.color, rng), rng, false));
    }
  }
}

}  // namespace

std::vector<std::string> MakeCaptions(const SyntheticVideo& video, int count, SplitMix64& rng) {
  std::vector<std::string> captions;
  std::set<std::string> seen;
  for (int attempt = 0; attempt < 50 * count && static_cast<int>(captions.size()) < count;
       ++attempt) {
    std::string caption = OneCaption(video, rng);
    if (seen.insert(caption).second) captions.push_back(std::move(caption));
  }
  return captions;
}

}  // namespace camoe::video
