// A restricted unpickler for the pickles inside torch.save and torch.jit.save
// archives (data.pkl). It never imports or calls anything: GLOBAL references
// stay names, and the few callables that torch writes (tensor and parameter
// rebuilders, OrderedDict, TorchScript type tags) are interpreted as data.
// Anything else becomes an inert Object node. Malformed input is an error,
// never a crash; sizes are bounded so hostile files cannot exhaust memory.
//
// Values are shared (a memoised list may be referenced twice, even cyclically),
// so traversals must bound their depth. Not thread-safe while parsing; the
// resulting tree is read-only.
#ifndef CAMOE_WORKER_WEIGHTS_PICKLE_H_
#define CAMOE_WORKER_WEIGHTS_PICKLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/tensor_file.pb.h"

namespace camoe {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

// A tensor as pickled by torch: a view into a storage.
struct PickledTensor {
  std::string storage_key;  // record name under <archive>/data/
  TensorDtype dtype = DTYPE_UNSPECIFIED;
  std::string dtype_name;   // e.g. "FloatStorage", for errors about unsupported types
  int64_t storage_numel = 0;
  int64_t storage_offset = 0;  // in elements
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;
};

struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kList, kTuple, kDict, kGlobal,
                    kObject, kStorage, kTensor };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                // string, bytes, or "module.name" of a global/object
  std::vector<PickleRef> items;                    // list / tuple / object constructor arguments
  std::vector<std::pair<PickleRef, PickleRef>> entries;  // dict (insertion order) / object state dict
  PickleRef state;                                 // object state that is not a dict
  PickledTensor tensor;                            // storage (shape empty) or tensor

  bool IsString() const { return kind == Kind::kString; }
};

// Parses `data`. `source` names the archive in errors.
absl::StatusOr<PickleRef> Unpickle(std::string_view data, const std::string& source);

}  // namespace camoe

#endif  // CAMOE_WORKER_WEIGHTS_PICKLE_H_
