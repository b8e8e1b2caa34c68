// Time for the coordinator, injectable so heartbeat and timeout logic is
// tested without sleeping (FakeClock). Thread-safe.
#ifndef CAMOE_COORDINATOR_CORE_CLOCK_H_
#define CAMOE_COORDINATOR_CORE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace camoe::coordinator {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

class RealClock : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_CORE_CLOCK_H_
