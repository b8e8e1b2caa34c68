// Internal to worker/eval: one pass over a similarity source in tiles, and the
// order-independent statistics the passes accumulate. A sweep visits tiles
// row-block by row-block, columns left to right, and hands each tile to a
// row-owned and a column-owned callback whose ranges are split over threads.
// Every row statistic thus sees its row's cells in column order and every
// column statistic its column's cells in row order, whatever the tile shape or
// thread count (Note [Tile-independent results] in tile_sweep.cc).
// Not thread-safe itself; it runs the callbacks on its own short-lived threads.
#ifndef CAMOE_WORKER_EVAL_TILE_SWEEP_H_
#define CAMOE_WORKER_EVAL_TILE_SWEEP_H_

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "worker/eval/similarity_source.h"

namespace camoe::eval_internal {

// One filled block: rows [r0, r1) x columns [c0, c1), row-major.
struct Tile {
  const float* data;
  int64_t r0, r1, c0, c1;
  int64_t width() const { return c1 - c0; }
  const float* Row(int64_t i) const { return data + (i - r0) * width(); }
};

// Works on rows (or columns) [begin, end) of a tile; each index is owned by one
// thread for the whole call.
using TileWork = std::function<void(const Tile& tile, int64_t begin, int64_t end)>;

struct Sweep {
  TileWork by_rows;           // may be empty
  TileWork by_cols;           // may be empty; runs after by_rows on each tile
  bool check_finite = false;  // InvalidArgument on the first NaN or infinity
  std::string what;           // "similarity" or "QB-Norm bank similarity", for errors
  std::string row_name;       // "text" or "bank query", for errors
};

// Runs `sweep` over rows [0, rows) and all columns of `source` in tiles of at
// most block_rows x block_cols, using `buffer` (resized as needed).
absl::Status RunSweep(const SimilaritySource& source, int64_t rows, int64_t block_rows,
                      int64_t block_cols, int threads, const Sweep& sweep,
                      std::vector<float>* buffer);

// log(sum(exp(x))) updated one element at a time with a running maximum. The
// result depends only on the sequence of elements, never on how it was cut
// into tiles.
struct LogSumExp {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  void Add(double x) {
    if (x > max) {
      sum = sum * std::exp(max - x) + 1.0;
      max = x;
    } else {
      sum += std::exp(x - max);
    }
  }
  double Value() const { return max + std::log(sum); }
};

// The k largest values of each of `rows` rows (a multiset; order of insertion
// does not matter). Threshold(i) is the k-th largest, -inf while a row has had
// fewer than k values: x is in the row's top-k (fewer than k values strictly
// above it) exactly when x >= Threshold(i).
class TopK {
 public:
  TopK(int64_t rows, int64_t k)
      : k_(k), values_(static_cast<size_t>(rows * k), -std::numeric_limits<float>::infinity()) {}
  void Add(int64_t row, float x) {
    float* top = values_.data() + row * k_;
    if (!(x > top[k_ - 1])) return;
    int64_t pos = k_ - 1;
    while (pos > 0 && top[pos - 1] < x) {
      top[pos] = top[pos - 1];
      --pos;
    }
    top[pos] = x;
  }
  float Threshold(int64_t row) const { return values_[row * k_ + k_ - 1]; }

 private:
  int64_t k_;
  std::vector<float> values_;
};

}  // namespace camoe::eval_internal

#endif  // CAMOE_WORKER_EVAL_TILE_SWEEP_H_
