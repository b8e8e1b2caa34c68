// The tagging rules: how a word of a link-grammar parse (its subscript, the
// connectors it used, and a few closed-class words) becomes NOUN (an entity
// keyword), VERB (an action keyword) or OTHER. Pure, stateless functions;
// thread-safe. The rules and the reasons for them are in docs/pos.md
// ("Tagging rules"); kWordClassRulesVersion changes whenever they change, so
// tag caches written by older rules are discarded.
#ifndef CAMOE_WORKER_POS_WORD_CLASS_H_
#define CAMOE_WORKER_POS_WORD_CLASS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "worker/pos/link_grammar.h"

namespace camoe {

enum class PosTag : uint8_t { kOther = 0, kNoun = 1, kVerb = 2 };

// "OTHER", "NOUN", "VERB" (the CLI's spelling).
const char* PosTagName(PosTag tag);

inline constexpr int kWordClassRulesVersion = 2;

// What a link-grammar subscript says about a word's part of speech.
enum class SubscriptClass {
  kNone,       // no subscript, or one naming no open class
  kNoun,       // n, n-u, s, p, m, f, b, t, l, o, c, u, n-f, n-m
  kMeasure,    // i: nouns of time and measure, but also "better.i", "now.i";
               // d: quantity nouns ("group.d", "bunch.d") and "this.d", "only.d"
  kVerb,       // v, v-d, w, q, q-d (and rarer v*/g* variants)
  kGerund,     // g
  kAdjective,  // a, a-c, a-s
};
SubscriptClass ClassifySubscript(std::string_view subscript);

// Pronouns, determiners, numerals, prepositions, conjunctions and other
// function words that are never keywords, whatever subscript link-grammar
// gives them ("their.p", "for.p", "I.p"). `word` is lower-case.
bool IsFunctionWord(std::string_view word);

// Forms of "be" (is, are, 's, been, ...): auxiliaries or copulas, never
// action keywords.
bool IsBeForm(std::string_view word);

// The tag of a word that the chosen linkage linked (not a null word).
// `is_ing_form`: the word is an -ing form of a verb (the dictionary has a
// gerund entry for it, or it is an unknown word guessed as verb/gerund).
PosTag ClassifyLinkedWord(const LgWord& word, bool is_ing_form);

// The tag of a null word (left out of the linkage), from the subscripts of
// all its dictionary entries: VERB if it is an -ing form, NOUN if every
// entry is a noun, VERB if every entry is a verb, else OTHER.
PosTag ClassifyNullWord(std::string_view base, const std::vector<std::string>& subscripts,
                        bool is_ing_form);

// Whether the word is linked as a subject (of a verb or an auxiliary): a
// parse with a subject is a clause, not a fragment (Note [Fragments]).
bool HasSubjectLink(const LgWord& word);

// How a word of the lead-in ("we see") links to the rest of a re-parse.
enum class LeadInLinks {
  kObject,       // Subject, verb, object ("we see [people]"), modifiers.
  kSmallClause,  // Also a participle, bare infinitive or clause ("we see
                 // [a man] crawling", "we see [people] take photos").
  kRearranged,   // Anything else, or a null word: the re-parse does not read
                 // the caption as the lead-in's object.
};
LeadInLinks ClassifyLeadInWord(const LgWord& word);

// The text link-grammar parses, with every byte offset of `text` kept:
// ASCII letters lower-cased (captions' capitals make link-grammar guess
// proper nouns), the pronoun "i" as "I" (the only spelling it knows), and an
// apostrophe in place of the space of a split contraction ("man s" ->
// "man's", "don t" -> "don't"; Note [Split contractions]).
std::string PrepareForLinkGrammar(std::string_view text);

}  // namespace camoe

#endif  // CAMOE_WORKER_POS_WORD_CLASS_H_
