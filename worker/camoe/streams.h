// The three CAMoE streams, in the order used everywhere (gate weights, losses,
// metrics, reports). Torch-free so reports and the CLI can name streams.
#ifndef CAMOE_WORKER_CAMOE_STREAMS_H_
#define CAMOE_WORKER_CAMOE_STREAMS_H_

namespace camoe {

enum Stream { kFusion = 0, kEntity = 1, kAction = 2, kNumStreams = 3 };

// "fusion", "entity", "action".
inline const char* StreamName(int stream) {
  switch (stream) {
    case kFusion: return "fusion";
    case kEntity: return "entity";
    case kAction: return "action";
  }
  return "?";
}

}  // namespace camoe

#endif  // CAMOE_WORKER_CAMOE_STREAMS_H_
