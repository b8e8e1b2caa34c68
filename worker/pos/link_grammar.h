// LinkGrammar: a link-grammar dictionary (the library's in-process C API,
// liblink-grammar 5.12) and the parse of one sentence into words, each with
// its dictionary subscript ("man.n" -> "n"), the connectors of the disjunct
// it used in the best linkage and its byte span in the sentence. The object
// owns the Dictionary (created once in Open, deleted with the object) and a
// pool of Parse_Options, one per parse in flight: link-grammar keeps a
// parse's timer and resource limits in its Parse_Options, so those are never
// shared between threads, while one Dictionary may be read by many threads
// at once, each with its own Parse_Options and Sentence (link-grammar's
// tests/multi-thread.cc). Parse and Lookup are therefore thread-safe.
// link-grammar's messages go to a per-thread handler that this class installs
// around each call, so nothing reaches stderr. Creating a dictionary switches
// the process's LC_CTYPE to a UTF-8 locale (C.UTF-8) when the current one is
// not UTF-8; see docs/pos.md.
#ifndef CAMOE_WORKER_POS_LINK_GRAMMAR_H_
#define CAMOE_WORKER_POS_LINK_GRAMMAR_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace camoe {

struct LinkGrammarOptions {
  // Language name ("en", found in link-grammar's data folder,
  // /usr/share/link-grammar) or a path to a folder holding 4.0.dict.
  std::string dictionary = "en";
  // Wall-clock limit of one sentence_parse call, in whole seconds (the
  // library's granularity). A sentence may be parsed twice (without, then
  // with null words), so one Parse takes at most about twice this.
  int max_parse_seconds = 2;
  // Linkages link-grammar enumerates and sorts per parse; above this it
  // samples (deterministically), which keeps long sentences fast.
  int linkage_limit = 300;
  // link-grammar dialect string (4.0.dialect). "headline" makes determiners
  // optional ("falling on roof"), which captions often drop.
  std::string dialect = "headline";
};

// One word of a parse, walls excluded.
struct LgWord {
  std::string display;    // As link-grammar prints it: "man.n", "tshirt[?].n", "[roof]".
  std::string base;       // The word without subscript or guess marks: "man".
  std::string subscript;  // "n", "v-d", "g", ...; empty when the entry has none.
  // The disjunct's connectors, e.g. {"Ds**c-", "Wd-", "Ss*s+"}; empty for
  // null words.
  std::vector<std::string> connectors;
  int begin = 0;  // Byte span in the parsed sentence.
  int end = 0;
  bool is_null = false;   // Not linked in the chosen linkage ("[roof]").
  bool is_guess = false;  // Unknown to the dictionary; subscript guessed from
                          // morphology or regexes ("tshirt[?].n").
};

struct LgParse {
  std::vector<LgWord> words;  // Of the best linkage.
  bool has_linkage = false;   // False: nothing parsed (no words either).
  int null_count = 0;         // Words left out of the best linkage.
  bool timed_out = false;     // The time limit cut a parse short.
};

class LinkGrammar {
 public:
  // NotFound (saying how to install or point at a dictionary) when the
  // dictionary cannot be opened; InvalidArgument for bad options.
  static absl::StatusOr<std::unique_ptr<LinkGrammar>> Open(const LinkGrammarOptions& options);
  ~LinkGrammar();

  LinkGrammar(const LinkGrammar&) = delete;
  LinkGrammar& operator=(const LinkGrammar&) = delete;

  // The best linkage of `sentence`: first without null words; if there is
  // none, allowing as few null words as possible. The words' spans index
  // `sentence`. Never fails: an unparsable sentence has has_linkage = false.
  LgParse Parse(const std::string& sentence) const;

  // The subscripts of every dictionary entry for `word` ("roof" ->
  // {"n", "v"}); an entry without subscript gives "". Empty if unknown.
  std::vector<std::string> Lookup(const std::string& word) const;

  // "link-grammar-5.12.0 en 5.11.0": library, dictionary language and
  // dictionary version (part of the tag cache's version).
  const std::string& version() const { return version_; }

 private:
  explicit LinkGrammar(const LinkGrammarOptions& options);

  // A pooled Parse_Options (opaque here: link-includes.h stays in the .cc).
  void* AcquireOptions() const;
  void ReleaseOptions(void* options) const;

  const LinkGrammarOptions options_;
  void* dictionary_ = nullptr;  // link-grammar's Dictionary.
  std::string version_;
  mutable absl::Mutex mu_;
  mutable std::vector<void*> free_options_ ABSL_GUARDED_BY(mu_);
};

}  // namespace camoe

#endif  // CAMOE_WORKER_POS_LINK_GRAMMAR_H_
