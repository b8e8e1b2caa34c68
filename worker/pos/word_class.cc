#include "worker/pos/word_class.h"

#include <cctype>

#include "absl/container/flat_hash_set.h"

namespace camoe {
namespace {

std::string Lower(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasLetter(std::string_view word) {
  for (unsigned char c : word) {
    // Bytes >= 0x80 belong to non-ASCII letters in captions (é, ñ, CJK).
    if (std::isalpha(c) || c >= 0x80) return true;
  }
  return false;
}

// One connector of a disjunct, e.g. "@Ds**c-": multi '@', lower-case head /
// dependent marks ("dWV-"), the upper-case type ("D"), the subscript and the
// direction. Idiom-internal connectors ("_IBJD+") keep their '_'.
struct Connector {
  std::string type;
  char direction = 0;
};

Connector ParseConnector(std::string_view text) {
  Connector c;
  if (text.empty()) return c;
  c.direction = text.back();
  size_t i = 0;
  while (i < text.size() && (text[i] == '@' || std::islower(static_cast<unsigned char>(text[i])))) {
    ++i;
  }
  if (i < text.size() && text[i] == '_') c.type.push_back(text[i++]);
  while (i < text.size() && std::isupper(static_cast<unsigned char>(text[i]))) {
    c.type.push_back(text[i++]);
  }
  return c;
}

std::vector<Connector> ParseConnectors(const LgWord& word) {
  std::vector<Connector> out;
  out.reserve(word.connectors.size());
  for (const std::string& text : word.connectors) out.push_back(ParseConnector(text));
  return out;
}

bool Has(const std::vector<Connector>& cs, std::string_view type, char direction) {
  for (const Connector& c : cs) {
    if (c.type == type && c.direction == direction) return true;
  }
  return false;
}

// Note [Attributive]: a participle or gerund whose only job is to modify the
// noun after it ("swimming pool", "caged fence", "crying baby") describes the
// noun; it is not an action the caption reports. It links A+ or AN+ to the
// noun and has no links of its own but modifiers, and is OTHER.
bool IsAttributive(const std::vector<Connector>& cs) {
  bool modifies_noun = false;
  for (const Connector& c : cs) {
    if ((c.type == "A" || c.type == "AN") && c.direction == '+') {
      modifies_noun = true;
    } else if (c.direction == '-' && (c.type == "A" || c.type == "AN" || c.type == "E" ||
                                      c.type == "EA" || c.type == "EE" || c.type == "PH")) {
      // Its own modifiers ("stainless steel cooking pot", "a living room":
      // PH is "a"/"an" agreeing with the word's sound).
      continue;
    } else {
      return false;
    }
  }
  return modifies_noun;
}

// Used as a noun phrase head: a determiner or an adjective attaches to it
// ("the making of", "black clothing").
bool HasNominalModifier(const std::vector<Connector>& cs) {
  return Has(cs, "D", '-') || Has(cs, "A", '-');
}

// Links that only a noun makes: determiners, adjectives, noun modifiers,
// subject, object, prepositional object, possessive.
bool HasNounLink(const std::vector<Connector>& cs) {
  for (const Connector& c : cs) {
    const std::string& t = c.type;
    if ((c.direction == '-' && (t == "D" || t == "A" || t == "J" || t == "O" || t == "SI")) ||
        (c.direction == '+' && (t == "S" || t == "YS" || t == "YP")) || t == "AN" || t == "GN") {
      return true;
    }
  }
  return false;
}

bool AllIdiomInternal(const std::vector<Connector>& cs) {
  if (cs.empty()) return false;
  for (const Connector& c : cs) {
    if (c.type.empty() || c.type[0] != '_') return false;
  }
  return true;
}

bool IsHaveForm(std::string_view w) {
  return w == "have" || w == "has" || w == "had" || w == "having" || w == "'ve" || w == "'d";
}

bool IsDoForm(std::string_view w) { return w == "do" || w == "does" || w == "did"; }

bool IsModal(std::string_view w) {
  static const auto* const kModals = new absl::flat_hash_set<std::string_view>{
      "can", "could", "will", "would", "shall", "should", "may", "might", "must", "'ll", "ought"};
  return kModals->contains(w);
}

}  // namespace

const char* PosTagName(PosTag tag) {
  switch (tag) {
    case PosTag::kNoun:
      return "NOUN";
    case PosTag::kVerb:
      return "VERB";
    case PosTag::kOther:
      break;
  }
  return "OTHER";
}

SubscriptClass ClassifySubscript(std::string_view s) {
  static const auto* const kNoun = new absl::flat_hash_set<std::string_view>{
      "n", "n-u", "n-f", "n-m", "s", "p", "m", "f", "b", "t", "l", "o", "c", "u"};
  static const auto* const kVerb =
      new absl::flat_hash_set<std::string_view>{"v", "v-d", "w", "w-d", "q", "q-d", "vb", "va"};
  if (s.empty()) return SubscriptClass::kNone;
  if (kNoun->contains(s)) return SubscriptClass::kNoun;
  if (s == "i" || s == "d") return SubscriptClass::kMeasure;
  if (kVerb->contains(s)) return SubscriptClass::kVerb;
  if (s == "g" || s == "ga" || s == "gb") return SubscriptClass::kGerund;
  if (s == "a" || s == "a-c" || s == "a-s") return SubscriptClass::kAdjective;
  return SubscriptClass::kNone;
}

bool IsBeForm(std::string_view w) {
  static const auto* const kBe = new absl::flat_hash_set<std::string_view>{
      "be", "is", "are", "am", "was", "were", "been", "being", "'s", "'re", "'m"};
  return kBe->contains(w);
}

bool IsFunctionWord(std::string_view w) {
  // Closed classes only; open-class words are left to link-grammar.
  static const auto* const kWords = new absl::flat_hash_set<std::string_view>{
      // Pronouns (personal, possessive, reflexive, indefinite, reciprocal).
      "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yourselves", "he",
      "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "we", "us",
      "our", "ours", "ourselves", "they", "them", "their", "theirs", "themselves", "thy", "yisser",
      "one", "ones", "oneself", "someone", "somebody", "something", "anyone", "anybody", "anything",
      "everyone", "everybody", "everything", "noone", "nobody", "nothing", "eachother", "whoever",
      "whatever", "y'all",
      // Determiners, quantifiers, wh-words.
      "a", "an", "the", "this", "that", "these", "those", "some", "any", "no", "every", "each",
      "all", "both", "either", "neither", "few", "many", "much", "more", "most", "several", "such",
      "other", "another", "what", "which", "whose", "who", "whom", "where", "when", "why", "how",
      "whether",
      // Numerals.
      "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
      "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
      "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
      "thousand", "million", "billion",
      // Prepositions (also the ones link-grammar subscripts .p: "for.p").
      "about", "above", "across", "after", "against", "along", "alongside", "amid", "among",
      "amongst", "around", "as", "at", "before", "behind", "below", "beneath", "beside", "besides",
      "between", "beyond", "by", "despite", "during", "except", "from", "in", "inside", "into",
      "like", "near", "of", "off", "on", "onto", "opposite", "outside", "over", "past", "per",
      "plus", "minus", "since", "than", "through", "throughout", "till", "to", "toward", "towards",
      "under", "underneath", "unlike", "until", "upon", "versus", "via", "with", "within",
      "without", "aside", "worth", "for", "including", "regarding", "concerning",
      // Conjunctions, negation, particles.
      "and", "or", "but", "nor", "yet", "because", "although", "though", "while", "whereas", "if",
      "unless", "not", "n't", "there", "here",
      // What is left of a contraction split by a space ("it s", "i ll").
      "s", "ll", "ve", "re"};
  return kWords->contains(w);
}

bool HasSubjectLink(const LgWord& word) {
  for (const std::string& text : word.connectors) {
    const Connector c = ParseConnector(text);
    // S: subject-verb, SI: inverted, SF/SX: "there"/"it" and "I" subjects.
    // (SJ, a conjunction link, is not one.)
    if (c.type == "S" || c.type == "SI" || c.type == "SF" || c.type == "SFI" || c.type == "SX" ||
        c.type == "SXI") {
      return true;
    }
  }
  return false;
}

LeadInLinks ClassifyLeadInWord(const LgWord& word) {
  if (word.is_null) return LeadInLinks::kRearranged;
  LeadInLinks result = LeadInLinks::kObject;
  for (const std::string& text : word.connectors) {
    const Connector c = ParseConnector(text);
    // Wall, subject, the verb's object, its modifiers.
    if (c.type == "W" || c.type == "WV" || c.type == "S" || c.type == "O" || c.type == "MV") {
      continue;
    }
    // "see [a man] crawling" (P), "see [people] take photos" (I), "see [that]
    // a boy is falling" (C, CV).
    if (c.type == "P" || c.type == "I" || c.type == "C" || c.type == "CV") {
      result = LeadInLinks::kSmallClause;
      continue;
    }
    return LeadInLinks::kRearranged;
  }
  return result;
}

PosTag ClassifyLinkedWord(const LgWord& word, bool is_ing_form) {
  const std::string base = Lower(word.base);
  if (!HasLetter(base) || IsBeForm(base) || IsFunctionWord(base)) return PosTag::kOther;
  const std::vector<Connector> cs = ParseConnectors(word);
  // Parts of idioms link-grammar splits into linked words ("in front of",
  // "on top of") form a preposition as a whole.
  if (AllIdiomInternal(cs)) return PosTag::kOther;
  // G links the words of a proper name ("George Bernard Shaw[!]"), including
  // capitalised words link-grammar guessed without a subscript.
  if (Has(cs, "G", '+') || Has(cs, "G", '-')) return PosTag::kNoun;
  const SubscriptClass cls = ClassifySubscript(word.subscript);
  // Note [-ing forms]: link-grammar ties "is cooking.v" (progressive), "is
  // cooking.g" and "is cooking.n-u" (equative) at the same cost, so the
  // subscript of an -ing form is not evidence; its links are.
  if (is_ing_form && (cls == SubscriptClass::kVerb || cls == SubscriptClass::kGerund ||
                      cls == SubscriptClass::kNoun)) {
    if (IsAttributive(cs)) return PosTag::kOther;
    if (HasNominalModifier(cs)) return PosTag::kNoun;
    return PosTag::kVerb;
  }
  switch (cls) {
    case SubscriptClass::kVerb:
    case SubscriptClass::kGerund:
      if (IsModal(base)) return PosTag::kOther;
      // Perfect "has eaten" (PP+) and "has to" (TO+) are auxiliaries;
      // possession ("has a dog", O+) is a verb.
      if (IsHaveForm(base) && (Has(cs, "PP", '+') || Has(cs, "TO", '+'))) return PosTag::kOther;
      // do-support: "does not dance" links I+ to the verb and has no object.
      if (IsDoForm(base) && Has(cs, "I", '+') && !Has(cs, "O", '+')) return PosTag::kOther;
      if (IsAttributive(cs)) return PosTag::kOther;  // Note [Attributive]
      return PosTag::kVerb;
    case SubscriptClass::kNoun:
      // "a lot of", "a couple of": a quantity, not an entity (OFd+ to "of").
      return Has(cs, "OF", '+') ? PosTag::kOther : PosTag::kNoun;
    case SubscriptClass::kMeasure:
      return !Has(cs, "OF", '+') && HasNounLink(cs) ? PosTag::kNoun : PosTag::kOther;
    case SubscriptClass::kAdjective:
    case SubscriptClass::kNone:
      break;
  }
  return PosTag::kOther;
}

PosTag ClassifyNullWord(std::string_view base_in, const std::vector<std::string>& subscripts,
                        bool is_ing_form) {
  const std::string base = Lower(base_in);
  if (!HasLetter(base) || IsBeForm(base) || IsFunctionWord(base) || IsModal(base) ||
      subscripts.empty()) {
    return PosTag::kOther;
  }
  if (is_ing_form) return PosTag::kVerb;
  bool all_noun = true;
  bool all_verb = true;
  int entries = 0;
  for (const std::string& s : subscripts) {
    // Idiom parts ("_I": "in_person") and letters in equations say nothing
    // about the word on its own.
    if ((!s.empty() && s[0] == '_') || s == "eq" || s == "id") continue;
    ++entries;
    const SubscriptClass cls = ClassifySubscript(s);
    all_noun = all_noun && cls == SubscriptClass::kNoun;
    all_verb = all_verb && (cls == SubscriptClass::kVerb || cls == SubscriptClass::kGerund);
  }
  if (entries == 0) return PosTag::kOther;
  if (all_noun) return PosTag::kNoun;
  if (all_verb) return PosTag::kVerb;
  return PosTag::kOther;
}

std::string PrepareForLinkGrammar(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto is_letter = [&](size_t i) {
    return i < out.size() && (std::isalpha(static_cast<unsigned char>(out[i])) ||
                              static_cast<unsigned char>(out[i]) >= 0x80);
  };
  // The word [begin, end) at `i`, or empty.
  auto word_at = [&](size_t i) {
    size_t end = i;
    while (is_letter(end)) ++end;
    return std::string_view(out).substr(i, end - i);
  };
  auto previous_word = [&](size_t space) {
    size_t begin = space;
    while (begin > 0 && is_letter(begin - 1)) --begin;
    return std::string_view(out).substr(begin, space - begin);
  };
  for (size_t i = 0; i < out.size(); ++i) {
    if (!is_letter(i) || (i > 0 && is_letter(i - 1))) continue;
    // Note [Split contractions]: MSVD's captions lost their apostrophes ("a
    // man s hat", "it s", "don t", "i ll"); put one back in place of the
    // space, which keeps every byte offset.
    const std::string_view word = word_at(i);
    if (i >= 2 && out[i - 1] == ' ' && is_letter(i - 2)) {
      const std::string_view before = previous_word(i - 1);
      const bool pronoun = before == "i" || before == "you" || before == "he" || before == "she" ||
                           before == "we" || before == "they" || before == "it" ||
                           before == "that" || before == "there";
      if (word == "s" || (word == "t" && before.size() > 1 && before.back() == 'n') ||
          (pronoun && (word == "ll" || word == "d" || word == "re" || word == "ve")) ||
          (before == "i" && word == "m")) {
        out[i - 1] = '\'';
      }
    }
  }
  // link-grammar only knows the pronoun as "I" (after the contractions,
  // which look for a lower-case "i").
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 'i' && (i == 0 || !is_letter(i - 1)) && !is_letter(i + 1)) out[i] = 'I';
  }
  return out;
}

}  // namespace camoe
