// A similarity matrix that is read in blocks, so retrieval evaluation never
// holds all of it (100k texts x 100k videos is 40 GB of floats). Rows are query
// texts and columns are videos. `SimilaritySource` is the narrow provider
// interface: one Fill method that a matmul of two embedding blocks implements
// directly (the libtorch one lives with the model). Two torch-free
// implementations here: `DenseSimilarity` over a row-major float buffer it owns
// or borrows, and `EmbeddingSimilarity` over two embedding matrices with a
// cache-blocked dot product. Sources are immutable after construction; Fill is
// const and safe to call from several threads at once.
#ifndef CAMOE_WORKER_EVAL_SIMILARITY_SOURCE_H_
#define CAMOE_WORKER_EVAL_SIMILARITY_SOURCE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace camoe {

class SimilaritySource {
 public:
  virtual ~SimilaritySource() = default;

  virtual int64_t rows() const = 0;  // query texts
  virtual int64_t cols() const = 0;  // videos

  // Writes S[row_begin, row_end) x [col_begin, col_end) to `out`, row-major
  // with leading dimension col_end - col_begin. Evaluation reads every cell
  // more than once (statistics first, then ranks), so the values must be the
  // same on every call.
  // REQUIRES: 0 <= row_begin < row_end <= rows(), likewise for columns, and
  //           `out` holds (row_end - row_begin) * (col_end - col_begin) floats.
  virtual absl::Status Fill(int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end,
                            float* out) const = 0;
};

// A whole matrix in memory, row-major. Tests, the CLI's CSV input and small
// evaluation sets (MSR-VTT 1k-A is 1000 x 1000).
class DenseSimilarity : public SimilaritySource {
 public:
  // Takes `values` (rows * cols floats, row-major).
  static absl::StatusOr<DenseSimilarity> Create(int64_t rows, int64_t cols,
                                                std::vector<float> values);
  // Borrows `values`, which must outlive this object.
  static absl::StatusOr<DenseSimilarity> View(int64_t rows, int64_t cols, const float* values);

  // Move-only: a copy would still point at the original's buffer.
  DenseSimilarity(DenseSimilarity&&) = default;
  DenseSimilarity& operator=(DenseSimilarity&&) = default;
  DenseSimilarity(const DenseSimilarity&) = delete;
  DenseSimilarity& operator=(const DenseSimilarity&) = delete;

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  absl::Status Fill(int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end,
                    float* out) const override;

  const float* data() const { return data_; }

 private:
  DenseSimilarity(int64_t rows, int64_t cols, std::vector<float> owned, const float* data);

  int64_t rows_;
  int64_t cols_;
  std::vector<float> owned_;
  const float* data_;  // owned_.data() or the borrowed buffer
};

// S = scale * T V^T for text embeddings T (rows x dim) and video embeddings V
// (cols x dim), both row-major and borrowed (they must outlive this object).
// Each cell is one float dot product accumulated over `dim` in order, so a cell
// has the same value whichever block it is filled in.
class EmbeddingSimilarity : public SimilaritySource {
 public:
  static absl::StatusOr<EmbeddingSimilarity> Create(int64_t rows, int64_t cols, int64_t dim,
                                                    const float* texts, const float* videos,
                                                    float scale = 1.0f);

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  absl::Status Fill(int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end,
                    float* out) const override;

 private:
  EmbeddingSimilarity(int64_t rows, int64_t cols, int64_t dim, const float* texts,
                      const float* videos, float scale)
      : rows_(rows), cols_(cols), dim_(dim), texts_(texts), videos_(videos), scale_(scale) {}

  int64_t rows_;
  int64_t cols_;
  int64_t dim_;
  const float* texts_;
  const float* videos_;
  float scale_;
};

// InvalidArgument unless the block is a non-empty range inside `source`; every
// Fill implementation calls this first.
absl::Status CheckBlock(const SimilaritySource& source, int64_t row_begin, int64_t row_end,
                        int64_t col_begin, int64_t col_end);

}  // namespace camoe

#endif  // CAMOE_WORKER_EVAL_SIMILARITY_SOURCE_H_
