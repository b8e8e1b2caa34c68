// A small deterministic random number generator for data order: SplitMix64
// (Steele, Lea and Flood 2014), with unbiased bounded draws and Fisher-Yates.
// std::shuffle and std::uniform_int_distribution are not used because their
// outputs differ between standard libraries, and a data order must be the same
// on every rank and every platform for a run to be reproducible. A SplitMix64
// is a small value; one object is not thread-safe, but copies are independent.
#ifndef CAMOE_WORKER_DATA_RNG_H_
#define CAMOE_WORKER_DATA_RNG_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace camoe::data {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound) by rejection (no modulo bias). REQUIRES: bound > 0.
  uint64_t Below(uint64_t bound) {
    // 2^64 mod bound: draws below it would make low values more likely.
    uint64_t threshold = (0 - bound) % bound;
    while (true) {
      uint64_t r = Next();
      if (r >= threshold) return r % bound;
    }
  }

 private:
  uint64_t state_;
};

// One well-mixed seed from several values (e.g. run seed, epoch, video), so
// that nearby inputs give unrelated streams.
inline uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c = 0) {
  SplitMix64 rng(a);
  uint64_t x = rng.Next() ^ b;
  SplitMix64 rng2(x);
  uint64_t y = rng2.Next() ^ c;
  return SplitMix64(y).Next();
}

// Fisher-Yates: for i from the end down to 1, swap values[i] with a uniform
// values[j], j in [0, i].
template <typename T>
void Shuffle(std::vector<T>* values, SplitMix64* rng) {
  for (size_t i = values->size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng->Below(i));
    std::swap((*values)[i - 1], (*values)[j]);
  }
}

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_RNG_H_
