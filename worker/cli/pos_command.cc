// `camoe pos`: the part-of-speech tags CAMoE's entity and action streams use,
// one line per text: each tokenizer word as word/NOUN, word/VERB or word/OTHER
// (docs/pos.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "worker/cli/commands.h"
#include "worker/pos/caption_streams.h"
#include "worker/pos/pos_tagger.h"

namespace camoe::cli {

int Pos(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string vocab;
    std::string dictionary = "en";
    std::string cache;
    std::string input;
    int64_t max_parse_seconds = 2;
    int64_t threads = 1;
    bool stats = false;
  } options;
  FlagSet flags("pos [--vocab=PATH] [--dictionary=en] [--cache=FILE] [--input=FILE] TEXT...",
                "Tags each TEXT with link-grammar and prints one line per TEXT: its words (the\n"
                "CLIP tokenizer's pieces, lower-cased) as word/NOUN, word/VERB or word/OTHER,\n"
                "space-separated. Nouns feed CAMoE's entity stream, verbs its action stream.");
  flags.AddString("vocab", &options.vocab,
                  "bpe_simple_vocab_16e6.txt[.gz]; empty: the build's fetched asset");
  flags.AddString("dictionary", &options.dictionary,
                  "link-grammar dictionary: a language (en) or a folder holding 4.0.dict");
  flags.AddString("cache", &options.cache,
                  "tag cache file: read if present and current, written back afterwards");
  flags.AddInt("max_parse_seconds", &options.max_parse_seconds,
               "time limit of one link-grammar parse; a sentence that hits it gets no tags");
  flags.AddString("input", &options.input, "also tag every line of FILE (after the TEXTs)");
  flags.AddInt("threads", &options.threads, "tagging threads");
  flags.AddBool("stats", &options.stats,
                "print the tagger's counters and captions per second to stderr");
  std::vector<std::string> texts;
  if (int rc = ParseFlags(flags, "pos", args, &texts, out, err); rc >= 0) return rc;
  if (!options.input.empty()) {
    auto data = ReadFile(options.input);
    if (!data.ok()) return Fail(err, "pos", data.status());
    std::istringstream lines(*data);
    for (std::string line; std::getline(lines, line);) texts.push_back(line);
  }
  if (texts.empty()) {
    err << "camoe pos: no TEXT given (see --help)\n";
    return kExitUsage;
  }
  if (options.threads < 1 || options.threads > 256) {
    err << "camoe pos: --threads=" << options.threads << " must be in [1, 256]\n";
    return kExitUsage;
  }
  if (options.max_parse_seconds < 1 || options.max_parse_seconds > 3600) {
    err << "camoe pos: --max_parse_seconds=" << options.max_parse_seconds
        << " must be in [1, 3600]\n";
    return kExitUsage;
  }
  auto tokenizer = LoadTokenizer(options.vocab);
  if (!tokenizer.ok()) return Fail(err, "pos", tokenizer.status());
  PosTaggerOptions tagger_options;
  tagger_options.link_grammar.dictionary = options.dictionary;
  tagger_options.link_grammar.max_parse_seconds = static_cast<int>(options.max_parse_seconds);
  auto tagger = PosTagger::Create(tagger_options);
  if (!tagger.ok()) return Fail(err, "pos", tagger.status());
  if (!options.cache.empty()) {
    auto loaded = (*tagger)->LoadCache(options.cache);
    if (!loaded.ok() && loaded.status().code() != absl::StatusCode::kNotFound) {
      return Fail(err, "pos", loaded.status());
    }
    if (loaded.ok() && loaded->stale) {
      err << "camoe pos: " << options.cache << " was written by another tagger version ("
          << loaded->file_version << "); re-tagging and overwriting it\n";
    }
  }
  // Texts are tagged in parallel and printed in order.
  std::vector<std::string> lines(texts.size());
  std::vector<absl::Status> errors(texts.size());
  std::atomic<size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < texts.size(); i = next.fetch_add(1)) {
      auto pieces = TagPieces(**tokenizer, **tagger, texts[i]);
      if (!pieces.ok()) {
        errors[i] = pieces.status();
        continue;
      }
      for (const TaggedPiece& piece : *pieces) {
        if (!lines[i].empty()) lines[i] += ' ';
        absl::StrAppend(&lines[i], piece.text, "/", PosTagName(piece.tag));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < options.threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!errors[i].ok()) {
      return Fail(
          err, "pos",
          absl::Status(errors[i].code(), absl::StrCat("text ", i + 1, ": ", errors[i].message())));
    }
    out << lines[i] << "\n";
  }
  if (options.stats) {
    const PosTaggerStats s = (*tagger)->stats();
    err << absl::StrFormat(
        "camoe pos: %d texts in %.2f s (%.0f/s, %d threads): %d tagged, %d cache hits, "
        "%d sentences, %d re-parsed with the lead-in (%d kept), %d timed out, %d unparsed, "
        "%d null words\n",
        texts.size(), seconds, texts.size() / std::max(seconds, 1e-9), options.threads,
        s.texts_tagged, s.cache_hits, s.sentences, s.lead_in_reparsed, s.lead_in_chosen,
        s.timed_out, s.unparsed, s.null_words);
  }
  if (!options.cache.empty()) {
    if (absl::Status saved = (*tagger)->SaveCache(options.cache); !saved.ok()) {
      return Fail(err, "pos", saved);
    }
  }
  return kExitOk;
}

}  // namespace camoe::cli
