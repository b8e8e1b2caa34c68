#include "worker/pos/pos_tagger.h"

#include <algorithm>
#include <cctype>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "worker/pos/word_class.h"

namespace camoe {
namespace {

struct Range {
  size_t begin;
  size_t end;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Sentences of `text`: cut after '.', '!', '?' or ';' followed by whitespace
// (ActivityNet paragraphs hold several), then into parts of at most
// `max_words` whitespace-separated words. Ranges exclude outer whitespace.
std::vector<Range> SplitSentences(std::string_view text, int max_words) {
  std::vector<Range> sentences;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const bool end_of_text = i == text.size();
    const bool boundary = !end_of_text &&
                          (text[i] == '.' || text[i] == '!' || text[i] == '?' || text[i] == ';') &&
                          (i + 1 == text.size() || IsSpace(text[i + 1]));
    if (!end_of_text && !boundary) continue;
    size_t stop = end_of_text ? i : i + 1;
    // Words of [start, stop), cut every max_words words.
    size_t pos = start;
    int words = 0;
    size_t part_begin = std::string_view::npos;
    size_t part_end = 0;
    while (pos < stop) {
      while (pos < stop && IsSpace(text[pos])) ++pos;
      if (pos == stop) break;
      const size_t word_begin = pos;
      while (pos < stop && !IsSpace(text[pos])) ++pos;
      if (part_begin == std::string_view::npos) part_begin = word_begin;
      part_end = pos;
      if (++words == max_words) {
        sentences.push_back({part_begin, part_end});
        part_begin = std::string_view::npos;
        words = 0;
      }
    }
    if (part_begin != std::string_view::npos) sentences.push_back({part_begin, part_end});
    start = stop;
  }
  return sentences;
}

bool EndsWithIng(std::string_view w) { return w.size() > 3 && w.substr(w.size() - 3) == "ing"; }

}  // namespace

// One sentence's words and what the fragment rule compares.
struct PosTagger::SentenceTags {
  struct Word {
    int begin;
    int end;
    PosTag tag;
  };
  std::vector<Word> words;
  bool parsed = false;
  bool timed_out = false;
  bool used_lead_in = false;
  int null_count = 0;  // Of the whole parse, lead-in included.
  int null_words = 0;  // Null words of the sentence itself.
  bool has_verb = false;
  bool has_subject = false;                    // Some word is linked as a subject: a clause.
  LeadInLinks lead_in = LeadInLinks::kObject;  // The worst of the lead-in's words.
  bool verb_first = false;  // A verb comes before the first noun (or there is no noun).

  // Note [Fragments]: lower is better: a linkage at all, fewer null words,
  // no verb before the first noun.
  std::tuple<int, int, int> Score() const {
    return {parsed ? 0 : 1, null_count, verb_first ? 1 : 0};
  }
  // No clause, or one that starts with a verb ("people.v dancing").
  bool LooksLikeFragment() const { return !parsed || !has_subject || verb_first; }
};

PosTagger::PosTagger(const PosTaggerOptions& options, std::unique_ptr<LinkGrammar> lg,
                     std::string version)
    : options_(options),
      lg_(std::move(lg)),
      cache_(std::move(version), options.max_cache_entries) {}

absl::StatusOr<std::unique_ptr<PosTagger>> PosTagger::Create(const PosTaggerOptions& options) {
  if (options.max_sentence_words < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pos max_sentence_words must be at least 1, got ", options.max_sentence_words));
  }
  for (char c : options.lead_in + options.link_grammar.dialect) {
    if (c == '\t' || c == '\n' || c == '\r') {
      return absl::InvalidArgumentError(
          "pos lead_in and dialect must not contain tabs or newlines (they are part of the tag "
          "cache's one-line version)");
    }
  }
  absl::StatusOr<std::unique_ptr<LinkGrammar>> lg = LinkGrammar::Open(options.link_grammar);
  if (!lg.ok()) return lg.status();
  // Everything that changes the tags; max_parse_seconds only matters for
  // sentences that time out, which are flagged in the cache.
  std::string version = absl::StrCat(
      "rules=", kWordClassRulesVersion, " lg=", (*lg)->version(),
      " dialect=", options.link_grammar.dialect, " linkages=", options.link_grammar.linkage_limit,
      " lead_in=", options.lead_in, " words=", options.max_sentence_words);
  return std::unique_ptr<PosTagger>(new PosTagger(options, *std::move(lg), std::move(version)));
}

TaggedText PosTagger::Tag(std::string_view text) {
  TaggedText tags;
  if (cache_.Lookup(text, &tags)) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return tags;
  }
  tags = TagUncached(text);
  cache_.Insert(text, tags);
  texts_tagged_.fetch_add(1, std::memory_order_relaxed);
  return tags;
}

PosTaggerStats PosTagger::stats() const {
  PosTaggerStats s;
  s.texts_tagged = texts_tagged_.load();
  s.cache_hits = cache_hits_.load();
  s.sentences = sentences_.load();
  s.lead_in_reparsed = lead_in_reparsed_.load();
  s.lead_in_chosen = lead_in_chosen_.load();
  s.timed_out = timed_out_.load();
  s.unparsed = unparsed_.load();
  s.null_words = null_words_.load();
  return s;
}

TaggedText PosTagger::TagUncached(std::string_view text) {
  TaggedText result;
  std::string prepared = PrepareForLinkGrammar(text);
  RestoreNameCapitals(&prepared);
  for (const Range& range : SplitSentences(prepared, options_.max_sentence_words)) {
    SentenceTags sentence = TagSentence(prepared.substr(range.begin, range.end - range.begin));
    result.used_lead_in = result.used_lead_in || sentence.used_lead_in;
    result.timed_out = result.timed_out || sentence.timed_out;
    for (const SentenceTags::Word& w : sentence.words) {
      if (w.tag == PosTag::kOther) continue;
      const int32_t begin = static_cast<int32_t>(range.begin) + w.begin;
      const int32_t end = static_cast<int32_t>(range.begin) + w.end;
      // link-grammar spans never overlap; guard the cache's invariant anyway.
      if (!result.keywords.empty() && begin < result.keywords.back().end) continue;
      result.keywords.push_back({begin, end, w.tag});
    }
  }
  return result;
}

PosTagger::SentenceTags PosTagger::TagSentence(const std::string& sentence) {
  sentences_.fetch_add(1, std::memory_order_relaxed);
  SentenceTags best = Analyze(lg_->Parse(sentence), 0);
  bool timed_out = best.timed_out;
  // Note [Fragments]: captions are often noun phrases with a participle
  // ("people dancing at a party") that link-grammar parses as imperatives
  // ("people.v") or with null words. Such a sentence is parsed again as the
  // object of a neutral lead-in ("we see people dancing at a party"); the
  // lead-in's words are dropped, and the re-parse is kept if it scores
  // strictly better (SentenceTags::Score) and still reads the sentence as
  // the lead-in's object. A parse with a subject but null words is re-parsed
  // too, but then only a plain object reading is accepted: a clause behind
  // "we see" invites rearrangements ("we see a cheetah is chasing prey.v").
  const bool fragment = best.LooksLikeFragment();
  // A sentence that ran out of time once is not given a second chance.
  if (!options_.lead_in.empty() && !timed_out && (fragment || best.null_count > 0)) {
    lead_in_reparsed_.fetch_add(1, std::memory_order_relaxed);
    const std::string with_lead_in = options_.lead_in + " " + sentence;
    SentenceTags other =
        Analyze(lg_->Parse(with_lead_in), static_cast<int>(options_.lead_in.size()) + 1);
    timed_out = timed_out || other.timed_out;
    const LeadInLinks allowed = fragment ? LeadInLinks::kSmallClause : LeadInLinks::kObject;
    // At equal scores a verbless noun phrase ("a guy cleaning.g house") gives
    // way to a reading with a verb, if that verb has no subject (a participle:
    // "we see [a guy] cleaning.v house"), not a new clause ("we see [other]
    // assorted.v-d ingredients").
    const bool better =
        other.Score() < best.Score() ||
        (other.Score() == best.Score() && !best.has_verb && other.has_verb && !other.has_subject);
    if (other.parsed && other.lead_in <= allowed && better) {
      lead_in_chosen_.fetch_add(1, std::memory_order_relaxed);
      other.used_lead_in = true;
      best = std::move(other);
    }
  }
  best.timed_out = timed_out;
  if (timed_out) timed_out_.fetch_add(1, std::memory_order_relaxed);
  if (!best.parsed) unparsed_.fetch_add(1, std::memory_order_relaxed);
  null_words_.fetch_add(best.null_words, std::memory_order_relaxed);
  return best;
}

bool PosTagger::InComplexPreposition(const std::vector<LgWord>& words, size_t i) const {
  // Note [Complex prepositions]: "in front of", "on top of", "in search of"
  // are prepositions as a whole; link-grammar lists them as idioms
  // ("in_front_of") but, with determiners optional (the headline dialect),
  // often links "front" as a noun instead.
  if (i == 0 || i + 1 >= words.size()) return false;
  const std::string& next = words[i + 1].base;
  if (next != "of" && next != "to") return false;
  return !lg_->Lookup(words[i - 1].base + "_" + words[i].base + "_" + next).empty();
}

void PosTagger::RestoreNameCapitals(std::string* text) const {
  // Note [Names]: captions are lower-cased ("george bernard shaw", "alice is
  // tumbling") but link-grammar lists given names and places capitalised
  // ("Bernard.m", "Alice.f", "Africa.l"). A lower-case word the dictionary
  // does not know whose capitalised form is such a name gets its capital
  // back; so does an unknown word right after such a name (a surname:
  // "bernard shaw"). Same length, so every byte offset stays.
  auto is_lower = [&](size_t i) {
    return i < text->size() && std::islower(static_cast<unsigned char>((*text)[i]));
  };
  // Letters and digits, and any byte of a non-ASCII character.
  auto is_word_char = [&](size_t i) {
    const unsigned char c = static_cast<unsigned char>((*text)[i]);
    return std::isalnum(c) || c >= 0x80;
  };
  bool after_name = false;
  size_t i = 0;
  while (i < text->size()) {
    if (!is_lower(i)) {
      if ((*text)[i] != ' ') after_name = false;
      ++i;
      continue;
    }
    size_t end = i;
    while (is_lower(end)) ++end;
    bool name = false;
    // Only whole, all-lower-case ASCII words ("o'neil", "3d" are left alone).
    if ((end == text->size() || !is_word_char(end)) && (i == 0 || !is_word_char(i - 1))) {
      const std::string word = text->substr(i, end - i);
      if (lg_->Lookup(word).empty()) {
        std::string capitalised = word;
        capitalised[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
        name = after_name;
        for (const std::string& sub : lg_->Lookup(capitalised)) {
          // Given names (male, female, either) and places; not nationalities
          // ("Asian.s"), which are adjectives before a noun.
          name = name || sub == "m" || sub == "f" || sub == "b" || sub == "l";
        }
        if (name) (*text)[i] = capitalised[0];
      }
    }
    after_name = name;
    i = end;
  }
}

bool PosTagger::IsIngForm(const LgWord& word) const {
  if (!EndsWithIng(word.base)) return false;
  if (word.is_guess) {
    const SubscriptClass cls = ClassifySubscript(word.subscript);
    return cls == SubscriptClass::kVerb || cls == SubscriptClass::kGerund;
  }
  auto has_verb_entry = [&](const std::string& w) {
    for (const std::string& s : lg_->Lookup(w)) {
      const SubscriptClass cls = ClassifySubscript(s);
      if (cls == SubscriptClass::kVerb || cls == SubscriptClass::kGerund) return true;
    }
    return false;
  };
  // A verb form ending in -ing that is not itself a base form: "bring",
  // "sing", "string" have a third person "brings"; "crawling" has none.
  return has_verb_entry(word.base) && !has_verb_entry(word.base + "s");
}

PosTagger::SentenceTags PosTagger::Analyze(const LgParse& parse, int skip_bytes) {
  SentenceTags out;
  out.parsed = parse.has_linkage;
  out.timed_out = parse.timed_out;
  out.null_count = parse.null_count;
  int first_noun = -1;
  int first_verb = -1;
  for (size_t i = 0; i < parse.words.size(); ++i) {
    const LgWord& w = parse.words[i];
    if (w.begin < skip_bytes) {  // The lead-in's words.
      out.lead_in = std::max(out.lead_in, ClassifyLeadInWord(w));
      continue;
    }
    PosTag tag;
    if (w.is_null) {
      ++out.null_words;
      tag = ClassifyNullWord(w.base, lg_->Lookup(w.base), IsIngForm(w));
    } else {
      out.has_subject = out.has_subject || HasSubjectLink(w);
      tag = ClassifyLinkedWord(w, IsIngForm(w));
    }
    if (tag == PosTag::kNoun && InComplexPreposition(parse.words, i)) tag = PosTag::kOther;
    const int index = static_cast<int>(out.words.size());
    if (tag == PosTag::kNoun && first_noun < 0) first_noun = index;
    if (tag == PosTag::kVerb && first_verb < 0) first_verb = index;
    out.words.push_back({w.begin - skip_bytes, w.end - skip_bytes, tag});
  }
  out.has_verb = first_verb >= 0;
  out.verb_first = out.has_verb && (first_noun < 0 || first_verb < first_noun);
  return out;
}

}  // namespace camoe
