#include "worker/pos/link_grammar.h"

#include <link-grammar/dict-api.h>
#include <link-grammar/dict-defines.h>
#include <link-grammar/link-includes.h>

#include <cctype>
#include <utility>

#include "absl/strings/str_cat.h"

namespace camoe {
namespace {

// link-grammar reports through a handler that is thread-local in 5.12; the
// default prints to stderr (locale notes at load, "Timeout" while parsing).
// We collect the last error of the calling thread instead, for Open's status.
thread_local std::string last_lg_error;

void CollectLgMessage(lg_errinfo* info, void* /*data*/) {
  if (info->severity <= lg_Error && info->text != nullptr) last_lg_error = info->text;
}

// Installs CollectLgMessage on this thread for one scope and restores the
// previous handler afterwards (with null data, which is what link-grammar's
// default handler uses).
class ScopedLgHandler {
 public:
  ScopedLgHandler() : previous_(lg_error_set_handler(CollectLgMessage, nullptr)) {}
  ~ScopedLgHandler() { lg_error_set_handler(previous_, nullptr); }

 private:
  lg_error_handler previous_;
};

// Splits link-grammar's display form of a word into base, subscript and
// whether it was guessed: "man.n", "'s.p", "tshirt[?].n", "sims[!<S-WORDS>].n",
// "as.#while", "5", "2.5". Null words ("[roof]") are handled by the caller.
void SplitDisplay(const std::string& display, LgWord* word) {
  std::string rest = display;
  const size_t bracket = display.find('[');
  if (bracket != std::string::npos && bracket > 0) {
    const size_t close = display.find(']', bracket);
    word->is_guess = true;
    word->base = display.substr(0, bracket);
    rest = close == std::string::npos ? "" : display.substr(close + 1);
    if (!rest.empty() && rest[0] == '.') word->subscript = rest.substr(1);
    return;
  }
  // A subscript starts with a letter or '#': "2.5" is a number, not "2" + "5".
  const size_t dot = display.rfind('.');
  if (dot != std::string::npos && dot > 0 && dot + 1 < display.size() &&
      (std::isalpha(static_cast<unsigned char>(display[dot + 1])) || display[dot + 1] == '#')) {
    word->base = display.substr(0, dot);
    word->subscript = display.substr(dot + 1);
  } else {
    word->base = display;
  }
}

std::vector<std::string> SplitConnectors(const char* disjunct) {
  std::vector<std::string> connectors;
  if (disjunct == nullptr) return connectors;
  std::string current;
  for (const char* p = disjunct;; ++p) {
    if (*p == ' ' || *p == '\0') {
      if (!current.empty()) connectors.push_back(std::move(current));
      current.clear();
      if (*p == '\0') break;
    } else {
      current.push_back(*p);
    }
  }
  return connectors;
}

std::vector<LgWord> LinkageWords(Linkage linkage) {
  std::vector<LgWord> words;
  const size_t n = linkage_get_num_words(linkage);
  // Words 0 and n-1 are LEFT-WALL and RIGHT-WALL.
  for (size_t i = 1; i + 1 < n; ++i) {
    LgWord word;
    const char* display = linkage_get_word(linkage, i);
    word.display = display == nullptr ? "" : display;
    word.begin = static_cast<int>(linkage_get_word_byte_start(linkage, i));
    word.end = static_cast<int>(linkage_get_word_byte_end(linkage, i));
    word.connectors = SplitConnectors(linkage_get_disjunct_str(linkage, i));
    const std::string& d = word.display;
    if (d.size() >= 2 && d.front() == '[' && d.back() == ']' && word.connectors.empty()) {
      word.is_null = true;
      word.base = d.substr(1, d.size() - 2);
    } else {
      SplitDisplay(d, &word);
    }
    words.push_back(std::move(word));
  }
  return words;
}

// Words of `linkage` whose chosen entry is a verb reading (".v..." or the
// gerund ".g").
int CountVerbReadings(Linkage linkage) {
  int verbs = 0;
  for (const LgWord& word : LinkageWords(linkage)) {
    if (word.is_null) continue;
    const std::string& s = word.subscript;
    if (!s.empty() && (s[0] == 'v' || s == "g")) ++verbs;
  }
  return verbs;
}

// How many equally good linkages the tie-break looks at.
constexpr int kMaxTieCandidates = 64;

}  // namespace

LinkGrammar::LinkGrammar(const LinkGrammarOptions& options) : options_(options) {}

absl::StatusOr<std::unique_ptr<LinkGrammar>> LinkGrammar::Open(const LinkGrammarOptions& options) {
  if (options.max_parse_seconds < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "link-grammar max_parse_seconds must be at least 1 (the library counts whole seconds), "
        "got ",
        options.max_parse_seconds));
  }
  if (options.linkage_limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("link-grammar linkage_limit must be at least 1, got ", options.linkage_limit));
  }
  if (options.dictionary.empty()) {
    return absl::InvalidArgumentError(
        "link-grammar dictionary is empty: pass a language (\"en\") or a folder with 4.0.dict");
  }
  std::unique_ptr<LinkGrammar> lg(new LinkGrammar(options));
  ScopedLgHandler handler;
  last_lg_error.clear();
  Dictionary dict = dictionary_create_lang(options.dictionary.c_str());
  if (dict == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "cannot open the link-grammar dictionary '", options.dictionary, "'",
        last_lg_error.empty() ? "" : " (" + last_lg_error + ")",
        ". Install it (Debian: apt-get install link-grammar-dictionaries-en) or pass the path "
        "of a folder holding 4.0.dict"));
  }
  lg->dictionary_ = dict;
  lg->version_ = absl::StrCat(linkgrammar_get_version(), " ", dictionary_get_lang(dict), " ",
                              linkgrammar_get_dict_version(dict));
  // Check the dialect now: link-grammar only reports a bad one when parsing.
  void* opts = lg->AcquireOptions();
  Sentence probe = sentence_create("a test", dict);
  const int split = probe == nullptr ? -1 : sentence_split(probe, static_cast<Parse_Options>(opts));
  if (probe != nullptr) sentence_delete(probe);
  lg->ReleaseOptions(opts);
  if (split < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "link-grammar rejected dialect '", options.dialect, "'",
        last_lg_error.empty() ? "" : " (" + last_lg_error + ")",
        "; use a dialect named in the dictionary's 4.0.dialect, e.g. \"headline\", or \"\""));
  }
  return lg;
}

LinkGrammar::~LinkGrammar() {
  absl::MutexLock lock(&mu_);
  for (void* opts : free_options_) parse_options_delete(static_cast<Parse_Options>(opts));
  if (dictionary_ != nullptr) dictionary_delete(static_cast<Dictionary>(dictionary_));
}

void* LinkGrammar::AcquireOptions() const {
  {
    absl::MutexLock lock(&mu_);
    if (!free_options_.empty()) {
      void* opts = free_options_.back();
      free_options_.pop_back();
      return opts;
    }
  }
  Parse_Options opts = parse_options_create();
  parse_options_set_verbosity(opts, 0);
  parse_options_set_linkage_limit(opts, options_.linkage_limit);
  parse_options_set_max_parse_time(opts, options_.max_parse_seconds);
  parse_options_set_display_morphology(opts, false);
  parse_options_set_repeatable_rand(opts, true);
  parse_options_set_islands_ok(opts, false);
  parse_options_set_dialect(opts, options_.dialect.c_str());
  return opts;
}

void LinkGrammar::ReleaseOptions(void* options) const {
  absl::MutexLock lock(&mu_);
  free_options_.push_back(options);
}

LgParse LinkGrammar::Parse(const std::string& sentence) const {
  LgParse result;
  ScopedLgHandler handler;
  Dictionary dict = static_cast<Dictionary>(dictionary_);
  Parse_Options opts = static_cast<Parse_Options>(AcquireOptions());
  Sentence sent = sentence_create(sentence.c_str(), dict);
  if (sent != nullptr && sentence_split(sent, opts) >= 0) {
    parse_options_set_min_null_count(opts, 0);
    parse_options_set_max_null_count(opts, 0);
    parse_options_reset_resources(opts);
    int found = sentence_parse(sent, opts);
    bool timed_out = parse_options_timer_expired(opts);
    if (found <= 0 && !timed_out) {
      parse_options_set_min_null_count(opts, 1);
      parse_options_set_max_null_count(opts, sentence_length(sent));
      parse_options_reset_resources(opts);
      found = sentence_parse(sent, opts);
      timed_out = parse_options_timer_expired(opts);
    }
    result.timed_out = timed_out;
    if (found > 0) {
      // Linkages come sorted by violations, disjunct cost, link length. Note
      // [Verb tie-break]: among the linkages that tie the best one on
      // violations and disjunct cost (only total link length differs), take
      // the one that reads more words as verbs. Captions describe actions, and
      // the shorter-links preference otherwise turns "waves at the crowd and
      // smiles" into a list of nouns ("crowd and smiles") or "the woman shows
      // off" into a noun compound.
      int best = 0;
      Linkage first = linkage_create(0, sent, opts);
      if (first != nullptr) {
        const int violations = linkage_unused_word_cost(first);
        const double cost = linkage_disjunct_cost(first);
        int best_verbs = CountVerbReadings(first);
        linkage_delete(first);
        const int candidates = std::min(sentence_num_valid_linkages(sent), kMaxTieCandidates);
        for (int k = 1; k < candidates; ++k) {
          Linkage other = linkage_create(k, sent, opts);
          if (other == nullptr) continue;
          const bool tie = linkage_unused_word_cost(other) == violations &&
                           linkage_disjunct_cost(other) == cost;
          const int verbs = tie ? CountVerbReadings(other) : -1;
          linkage_delete(other);
          if (!tie) break;  // sorted: no later linkage ties either
          if (verbs > best_verbs) {
            best = k;
            best_verbs = verbs;
          }
        }
      }
      Linkage linkage = linkage_create(best, sent, opts);
      if (linkage != nullptr) {
        result.has_linkage = true;
        result.null_count = sentence_null_count(sent);
        result.words = LinkageWords(linkage);
        linkage_delete(linkage);
      }
    }
  }
  if (sent != nullptr) sentence_delete(sent);
  ReleaseOptions(opts);
  return result;
}

std::vector<std::string> LinkGrammar::Lookup(const std::string& word) const {
  std::vector<std::string> subscripts;
  ScopedLgHandler handler;
  Dictionary dict = static_cast<Dictionary>(dictionary_);
  Dict_node* list = dictionary_lookup_list(dict, word.c_str());
  for (Dict_node* node = list; node != nullptr; node = node->right) {
    // Entries are stored as "word<SUBSCRIPT_MARK>subscript".
    const std::string entry = node->string == nullptr ? "" : node->string;
    const size_t mark = entry.find(SUBSCRIPT_MARK);
    subscripts.push_back(mark == std::string::npos ? "" : entry.substr(mark + 1));
  }
  if (list != nullptr) free_lookup_list(dict, list);
  return subscripts;
}

}  // namespace camoe
