#include "worker/weights/torch_archive.h"

#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "worker/weights/pickle.h"
#include "worker/weights/zip_archive.h"

namespace camoe {
namespace {

constexpr int kMaxDepth = 200;

// Walks the unpickled structure and collects named tensors.
class Flattener {
 public:
  explicit Flattener(const std::string& source) : source_(source) {}

  absl::Status Visit(const PickleRef& value, const std::string& name, int depth) {
    using Kind = PickleValue::Kind;
    if (depth > kMaxDepth) {
      return absl::DataLossError(absl::StrCat(source_, ": structure nested deeper than ",
                                              kMaxDepth, " levels at '", name, "'"));
    }
    switch (value->kind) {
      case Kind::kTensor:
        tensors_.emplace_back(name, &value->tensor);
        return absl::OkStatus();
      case Kind::kDict:
      case Kind::kObject:
      case Kind::kList:
      case Kind::kTuple: {
        // Shared subtrees (memoised) are visited once; cycles end here too.
        if (!visited_.insert(value.get()).second) return absl::OkStatus();
        if (value->kind == Kind::kList || value->kind == Kind::kTuple) {
          for (size_t i = 0; i < value->items.size(); ++i) {
            CAMOE_RETURN_IF_ERROR(Visit(value->items[i], Join(name, std::to_string(i)), depth + 1));
          }
          return absl::OkStatus();
        }
        for (const auto& [key, child] : value->entries) {
          std::string part;
          if (key->kind == Kind::kString) {
            part = key->text;
          } else if (key->kind == Kind::kInt) {
            part = std::to_string(key->integer);
          } else {
            continue;  // Non-string keys cannot name parameters.
          }
          // nn.Module pickles keep children under these; names skip them.
          bool module_level = value->kind == Kind::kObject &&
                              (part == "_parameters" || part == "_buffers" || part == "_modules");
          CAMOE_RETURN_IF_ERROR(Visit(child, module_level ? name : Join(name, part), depth + 1));
        }
        if (value->state) CAMOE_RETURN_IF_ERROR(Visit(value->state, name, depth + 1));
        return absl::OkStatus();
      }
      default:
        if (!name.empty()) other_values_.push_back(name);
        return absl::OkStatus();
    }
  }

  std::vector<std::pair<std::string, const PickledTensor*>>& tensors() { return tensors_; }
  std::vector<std::string>& other_values() { return other_values_; }

 private:
  static std::string Join(const std::string& a, const std::string& b) {
    return a.empty() ? b : absl::StrCat(a, ".", b);
  }

  const std::string& source_;
  std::set<const PickleValue*> visited_;
  std::vector<std::pair<std::string, const PickledTensor*>> tensors_;
  std::vector<std::string> other_values_;
};

// Copies the (possibly strided) view `t` out of its storage bytes.
absl::StatusOr<NamedBuffer> Materialize(const std::string& name, const PickledTensor& t,
                                        std::string_view storage, const std::string& source) {
  NamedBuffer out;
  out.name = name;
  out.dtype = t.dtype;
  out.shape = t.shape;
  const int elem = DtypeSize(t.dtype);
  if (elem == 0) {
    return absl::UnimplementedError(absl::StrCat(source, ": tensor '", name,
                                                 "' has unsupported storage type '", t.dtype_name,
                                                 "'"));
  }
  auto bad = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat(source, ": tensor '", name, "': ", what));
  };
  if (static_cast<uint64_t>(t.storage_numel) * elem > storage.size()) {
    return bad(absl::StrCat("storage '", t.storage_key, "' holds ", storage.size(),
                            " bytes, fewer than its ", t.storage_numel, " elements"));
  }
  int64_t numel = 1;
  int64_t last = t.storage_offset;  // largest element index touched
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.stride[d] < 0) return bad("negative size or stride");
    if (t.shape[d] > 0 && numel > (int64_t{1} << 40) / t.shape[d]) return bad("absurd size");
    numel *= t.shape[d];
    if (t.shape[d] > 0) last += (t.shape[d] - 1) * t.stride[d];
  }
  if (t.storage_offset < 0) return bad("negative storage offset");
  if (numel > 0 && last >= t.storage_numel) {
    return bad(absl::StrCat("view [offset ", t.storage_offset, ", shape ",
                            absl::StrJoin(t.shape, "x"), "] exceeds its storage of ",
                            t.storage_numel, " elements"));
  }
  out.bytes.resize(static_cast<size_t>(numel) * elem);
  if (numel == 0) return out;
  // Contiguous views are one copy; others walk the index space.
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] != 1 && t.stride[d] != expected) contiguous = false;
    expected *= t.shape[d];
  }
  const char* base = storage.data();
  if (contiguous) {
    std::memcpy(out.bytes.data(), base + t.storage_offset * elem, out.bytes.size());
    return out;
  }
  std::vector<int64_t> index(t.shape.size(), 0);
  for (int64_t i = 0; i < numel; ++i) {
    int64_t src = t.storage_offset;
    for (size_t d = 0; d < index.size(); ++d) src += index[d] * t.stride[d];
    std::memcpy(out.bytes.data() + i * elem, base + src * elem, elem);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<TorchArchive> ReadTorchArchive(std::string_view data, const std::string& source) {
  CAMOE_ASSIGN_OR_RETURN(ZipArchive zip, ZipArchive::Open(data, source));
  // Every record sits under one top-level folder, whose name varies by writer.
  std::string prefix;
  for (const ZipArchive::Entry& entry : zip.entries()) {
    size_t slash = entry.name.find('/');
    if (slash != std::string::npos && entry.name.substr(slash) == "/data.pkl") {
      prefix = entry.name.substr(0, slash + 1);
      break;
    }
  }
  if (prefix.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": zip archive without a data.pkl record: not written by torch.save or "
                "torch.jit.save"));
  }
  TorchArchive archive;
  archive.kind = TorchArchive::Kind::kTorchSave;
  for (const ZipArchive::Entry& entry : zip.entries()) {
    if (entry.name == prefix + "constants.pkl" || entry.name.rfind(prefix + "code/", 0) == 0) {
      archive.kind = TorchArchive::Kind::kTorchScript;
    }
  }
  std::string scratch;
  if (zip.Has(prefix + "byteorder")) {
    CAMOE_ASSIGN_OR_RETURN(std::string_view order, zip.Read(prefix + "byteorder", &scratch));
    if (order != "little") {
      return absl::UnimplementedError(absl::StrCat(source, ": byte order '", std::string(order),
                                                   "' is not supported (little-endian only)"));
    }
  }
  CAMOE_ASSIGN_OR_RETURN(std::string_view pickle, zip.Read(prefix + "data.pkl", &scratch));
  std::string pickle_copy(pickle);  // `scratch` is reused below
  CAMOE_ASSIGN_OR_RETURN(PickleRef root, Unpickle(pickle_copy, source));
  Flattener flattener(source);
  CAMOE_RETURN_IF_ERROR(flattener.Visit(root, "", 0));
  archive.other_values = std::move(flattener.other_values());
  for (const auto& [name, tensor] : flattener.tensors()) {
    std::string record = absl::StrCat(prefix, "data/", tensor->storage_key);
    auto storage = zip.Read(record, &scratch);
    if (!storage.ok()) {
      return Annotate(storage.status(), absl::StrCat("tensor '", name, "'"));
    }
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer buffer, Materialize(name, *tensor, *storage, source));
    archive.tensors.push_back(std::move(buffer));
  }
  return archive;
}

}  // namespace camoe
