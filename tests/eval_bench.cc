// Times a large blockwise evaluation (not a test; docs/metrics.md reports it).
// The similarity is never stored: a hash of (text, video) gives noise in
// [-1, 1), and each text's own video gets `signal` added, so the ranks are
// neither trivial nor random. Prints the report, the wall time and the peak
// resident memory (VmHWM).
//
//   build-eval/tests/eval_bench --texts=100000 --videos=100000 --threads=2
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "common/cli.h"
#include "worker/eval/retrieval_eval.h"

namespace camoe {
namespace {

class HashSimilarity : public SimilaritySource {
 public:
  // Row i hashes as row i + row_offset, so a bank can use rows no test text has.
  HashSimilarity(int64_t texts, int64_t videos, int64_t captions_per_video, float signal,
                 int threads, int64_t row_offset = 0)
      : texts_(texts),
        videos_(videos),
        k_(captions_per_video),
        signal_(signal),
        threads_(threads),
        row_offset_(row_offset) {}

  int64_t rows() const override { return texts_; }
  int64_t cols() const override { return videos_; }

  absl::Status Fill(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override {
    if (absl::Status block = CheckBlock(*this, r0, r1, c0, c1); !block.ok()) return block;
    // Like a matmul on a device, the provider parallelises its own work.
    auto rows = [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float* row = out + (i - r0) * (c1 - c0);
        for (int64_t j = c0; j < c1; ++j) row[j - c0] = Noise(i + row_offset_, j);
        const int64_t own = i / k_;
        if (own >= c0 && own < c1) row[own - c0] += signal_;
      }
    };
    std::vector<std::thread> workers;
    const int64_t n = r1 - r0;
    const int parts = n >= threads_ * 16 ? threads_ : 1;
    for (int p = 1; p < parts; ++p) {
      workers.emplace_back(rows, r0 + n * p / parts, r0 + n * (p + 1) / parts);
    }
    rows(r0, r0 + n / parts);
    for (std::thread& worker : workers) worker.join();
    return absl::OkStatus();
  }

 private:
  static float Noise(int64_t i, int64_t j) {
    // splitmix64 of the cell index; the top 24 bits give a float in [-1, 1).
    uint64_t z = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(j);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }

  int64_t texts_, videos_, k_;
  float signal_;
  int threads_;
  int64_t row_offset_;
};

std::string PeakMemory() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return " unknown";
}

int Main(int argc, char** argv) {
  int64_t videos = 100000, captions_per_video = 1, block = 4096, threads = 2, bank_rows = 0;
  double signal = 1.5;
  bool dsl = true;
  FlagSet flags("eval_bench [flags]", "Times a blockwise evaluation of a synthetic similarity.");
  flags.AddInt("videos", &videos, "videos (columns)");
  flags.AddInt("captions_per_video", &captions_per_video, "texts per video (rows = K * videos)");
  flags.AddInt("block_size", &block, "tile side");
  flags.AddInt("threads", &threads, "threads for the evaluation and for the source");
  flags.AddInt("bank", &bank_rows, "QB-Norm bank rows (0: no QB-Norm)");
  flags.AddDouble("signal", &signal, "added to each text's own video");
  flags.AddBool("dsl", &dsl, "also rank with DSL");
  std::vector<std::string> args(argv + 1, argv + argc), positional;
  if (absl::Status parsed = flags.Parse(args, &positional); !parsed.ok()) {
    std::cerr << parsed.message() << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Help("eval_bench");
    return 0;
  }
  const int64_t texts = videos * captions_per_video;
  HashSimilarity sim(texts, videos, captions_per_video, static_cast<float>(signal),
                     static_cast<int>(threads));
  // The bank: other hashed rows with no signal (training captions of other videos).
  HashSimilarity bank(std::max<int64_t>(bank_rows, 1), videos, 1, 0.0f, static_cast<int>(threads),
                      /*row_offset=*/texts);
  EvalOptions options;
  options.block_rows = options.block_cols = block;
  options.threads = static_cast<int>(threads);
  options.dsl = dsl;
  options.qb_norm.bank_size = bank_rows;

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<RetrievalReport> report =
      EvaluateRetrieval(sim, ConsecutiveCaptions(videos, captions_per_video), options,
                        bank_rows > 0 ? &bank : nullptr);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) {
    std::cerr << report.status() << "\n";
    return 1;
  }
  std::cout << RetrievalReportJson(*report) << "\n";
  std::printf(
      "%lld texts x %lld videos, tiles %lld, %lld threads, dsl %d, bank %lld: %.1f s, "
      "peak RSS%s\n",
      static_cast<long long>(texts), static_cast<long long>(videos), static_cast<long long>(block),
      static_cast<long long>(threads), dsl ? 1 : 0, static_cast<long long>(bank_rows), seconds,
      PeakMemory().c_str());
  return 0;
}

}  // namespace
}  // namespace camoe

int main(int argc, char** argv) { return camoe::Main(argc, argv); }
