#include "worker/eval/tile_sweep.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace camoe::eval_internal {

// Note [Tile-independent results]
// Evaluation must give the same numbers for any tile shape and thread count,
// or a block-size change would move the reported recall. Ranks are integer
// counts of strict comparisons, so they can only change if a compared score
// changes. The scores that depend on more than one cell are log-sum-exps over
// a whole row or column (DSL, QB-Norm). They are accumulated one element at a
// time (LogSumExp), each row in column order and each column in row order, and
// each accumulator is touched by one thread per tile: the exact same sequence
// of floating-point operations as on the whole matrix in one tile. Tiles are
// therefore visited row-block-major, and within a tile the row-owned work
// walks each row left to right while the column-owned work walks the rows top
// to bottom.

namespace {

// Below this many cells per thread, starting a thread costs more than it saves.
constexpr int64_t kMinCellsPerThread = int64_t{1} << 16;

void ParallelFor(int threads, int64_t begin, int64_t end, int64_t cells_per_index,
                 const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t n = end - begin;
  int64_t parts = std::min<int64_t>(threads, n);
  parts = std::min<int64_t>(parts, n * cells_per_index / kMinCellsPerThread);
  if (parts <= 1) {
    fn(begin, end);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(parts - 1));
  for (int64_t p = 1; p < parts; ++p) {
    workers.emplace_back(fn, begin + n * p / parts, begin + n * (p + 1) / parts);
  }
  fn(begin, begin + n / parts);
  for (std::thread& worker : workers) worker.join();
}

absl::Status CheckFinite(const Tile& tile, const Sweep& sweep) {
  for (int64_t i = tile.r0; i < tile.r1; ++i) {
    const float* row = tile.Row(i);
    bool all_finite = true;
    // Branch-free scan first; the position is looked up only on failure.
    for (int64_t j = 0; j < tile.width(); ++j) all_finite &= std::isfinite(row[j]);
    if (all_finite) continue;
    for (int64_t j = 0; j < tile.width(); ++j) {
      if (!std::isfinite(row[j])) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s of %s %d and video %d is %f; every similarity must be finite (look for NaN "
            "or infinite embeddings, or a zero norm before normalisation)",
            sweep.what, sweep.row_name, i, tile.c0 + j, row[j]));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSweep(const SimilaritySource& source, int64_t rows, int64_t block_rows,
                      int64_t block_cols, int threads, const Sweep& sweep,
                      std::vector<float>* buffer) {
  const int64_t cols = source.cols();
  const int64_t tile_rows = std::min(block_rows, rows);
  const int64_t tile_cols = std::min(block_cols, cols);
  if (static_cast<int64_t>(buffer->size()) < tile_rows * tile_cols) {
    buffer->resize(static_cast<size_t>(tile_rows * tile_cols));
  }
  for (int64_t r0 = 0; r0 < rows; r0 += tile_rows) {
    const int64_t r1 = std::min(rows, r0 + tile_rows);
    for (int64_t c0 = 0; c0 < cols; c0 += tile_cols) {
      const int64_t c1 = std::min(cols, c0 + tile_cols);
      absl::Status filled = source.Fill(r0, r1, c0, c1, buffer->data());
      if (!filled.ok()) {
        return Annotate(filled, absl::StrFormat("filling %s rows [%d, %d) x videos [%d, %d)",
                                                sweep.what, r0, r1, c0, c1));
      }
      const Tile tile{buffer->data(), r0, r1, c0, c1};
      if (sweep.check_finite) CAMOE_RETURN_IF_ERROR(CheckFinite(tile, sweep));
      if (sweep.by_rows) {
        ParallelFor(threads, r0, r1, c1 - c0,
                    [&](int64_t begin, int64_t end) { sweep.by_rows(tile, begin, end); });
      }
      if (sweep.by_cols) {
        ParallelFor(threads, c0, c1, r1 - r0,
                    [&](int64_t begin, int64_t end) { sweep.by_cols(tile, begin, end); });
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace camoe::eval_internal
