#include "worker/eval/similarity_source.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace camoe {

absl::Status CheckBlock(const SimilaritySource& source, int64_t row_begin, int64_t row_end,
                        int64_t col_begin, int64_t col_end) {
  if (row_begin < 0 || row_begin >= row_end || row_end > source.rows() || col_begin < 0 ||
      col_begin >= col_end || col_end > source.cols()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "similarity block rows [%d, %d) x columns [%d, %d) is empty or outside the %d x %d "
        "matrix; ask for a non-empty range inside it",
        row_begin, row_end, col_begin, col_end, source.rows(), source.cols()));
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckShape(int64_t rows, int64_t cols, const char* what) {
  if (rows <= 0 || cols <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s has %d rows and %d columns; a similarity matrix needs at least one of each", what, rows,
        cols));
  }
  return absl::OkStatus();
}

}  // namespace

DenseSimilarity::DenseSimilarity(int64_t rows, int64_t cols, std::vector<float> owned,
                                 const float* data)
    : rows_(rows), cols_(cols), owned_(std::move(owned)), data_(data) {
  if (data_ == nullptr) data_ = owned_.data();
}

absl::StatusOr<DenseSimilarity> DenseSimilarity::Create(int64_t rows, int64_t cols,
                                                        std::vector<float> values) {
  if (absl::Status shape = CheckShape(rows, cols, "the dense similarity"); !shape.ok()) {
    return shape;
  }
  if (static_cast<int64_t>(values.size()) != rows * cols) {
    return absl::InvalidArgumentError(
        absl::StrFormat("a %d x %d similarity needs %d values but %d were given", rows, cols,
                        rows * cols, values.size()));
  }
  return DenseSimilarity(rows, cols, std::move(values), nullptr);
}

absl::StatusOr<DenseSimilarity> DenseSimilarity::View(int64_t rows, int64_t cols,
                                                      const float* values) {
  if (absl::Status shape = CheckShape(rows, cols, "the dense similarity"); !shape.ok()) {
    return shape;
  }
  if (values == nullptr) return absl::InvalidArgumentError("a similarity view needs values");
  return DenseSimilarity(rows, cols, {}, values);
}

absl::Status DenseSimilarity::Fill(int64_t row_begin, int64_t row_end, int64_t col_begin,
                                   int64_t col_end, float* out) const {
  if (absl::Status block = CheckBlock(*this, row_begin, row_end, col_begin, col_end); !block.ok()) {
    return block;
  }
  const int64_t width = col_end - col_begin;
  for (int64_t i = row_begin; i < row_end; ++i) {
    std::memcpy(out + (i - row_begin) * width, data_ + i * cols_ + col_begin,
                sizeof(float) * width);
  }
  return absl::OkStatus();
}

absl::StatusOr<EmbeddingSimilarity> EmbeddingSimilarity::Create(int64_t rows, int64_t cols,
                                                                int64_t dim, const float* texts,
                                                                const float* videos, float scale) {
  if (absl::Status shape = CheckShape(rows, cols, "the embedding similarity"); !shape.ok()) {
    return shape;
  }
  if (dim <= 0 || texts == nullptr || videos == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "embedding similarity needs text and video embeddings of dimension >= 1 (got %d)", dim));
  }
  return EmbeddingSimilarity(rows, cols, dim, texts, videos, scale);
}

absl::Status EmbeddingSimilarity::Fill(int64_t row_begin, int64_t row_end, int64_t col_begin,
                                       int64_t col_end, float* out) const {
  if (absl::Status block = CheckBlock(*this, row_begin, row_end, col_begin, col_end); !block.ok()) {
    return block;
  }
  // Video embeddings are copied a panel of kPanel columns at a time into a
  // dim x kPanel transposed buffer, so the inner loop runs over contiguous
  // columns (vectorisable) while every cell still sums its dim products in
  // order d = 0, 1, ...: a cell's value does not depend on the block it is in.
  constexpr int64_t kPanel = 64;
  const int64_t width = col_end - col_begin;
  std::vector<float> panel(static_cast<size_t>(dim_ * kPanel));
  float acc[kPanel];
  for (int64_t c0 = col_begin; c0 < col_end; c0 += kPanel) {
    const int64_t n = std::min(kPanel, col_end - c0);
    for (int64_t c = 0; c < n; ++c) {
      const float* video = videos_ + (c0 + c) * dim_;
      for (int64_t d = 0; d < dim_; ++d) panel[d * kPanel + c] = video[d];
    }
    for (int64_t i = row_begin; i < row_end; ++i) {
      const float* text = texts_ + i * dim_;
      std::fill(acc, acc + kPanel, 0.0f);
      for (int64_t d = 0; d < dim_; ++d) {
        const float t = text[d];
        const float* p = panel.data() + d * kPanel;
        for (int64_t c = 0; c < kPanel; ++c) acc[c] += t * p[c];
      }
      float* row = out + (i - row_begin) * width + (c0 - col_begin);
      for (int64_t c = 0; c < n; ++c) row[c] = acc[c] * scale_;
    }
  }
  return absl::OkStatus();
}

}  // namespace camoe
