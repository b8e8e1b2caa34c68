#include "worker/weights/pickle.h"

#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor_file.h"

namespace camoe {
namespace {

// Limits that no legitimate checkpoint approaches.
constexpr size_t kMaxStack = 1 << 20;
constexpr uint64_t kMaxStringBytes = 1ull << 31;
constexpr int kMaxRank = 64;

struct StorageType {
  const char* name;
  TensorDtype dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", DTYPE_FLOAT32},   {"HalfStorage", DTYPE_FLOAT16},
    {"BFloat16Storage", DTYPE_BFLOAT16}, {"DoubleStorage", DTYPE_FLOAT64},
    {"LongStorage", DTYPE_INT64},      {"IntStorage", DTYPE_INT32},
    {"ByteStorage", DTYPE_UINT8},      {"BoolStorage", DTYPE_UINT8},
};

PickleRef Make(PickleValue::Kind kind) {
  auto value = std::make_shared<PickleValue>();
  value->kind = kind;
  return value;
}

class Unpickler {
 public:
  Unpickler(std::string_view data, const std::string& source) : data_(data), source_(source) {}

  absl::StatusOr<PickleRef> Run() {
    while (true) {
      if (pos_ >= data_.size()) return Error("ends without a STOP opcode (truncated)");
      const size_t at = pos_;
      const uint8_t op = static_cast<uint8_t>(data_[pos_++]);
      absl::Status status = Step(op);
      if (!status.ok()) {
        return absl::DataLossError(absl::StrCat(source_, ": bad pickle at byte ", at, " (opcode 0x",
                                                absl::Hex(op), "): ", status.message()));
      }
      if (done_) break;
    }
    if (stack_.size() != 1) return Error("STOP with an unbalanced stack");
    return stack_.back();
  }

 private:
  absl::Status Fail(const std::string& what) { return absl::InvalidArgumentError(what); }
  absl::StatusOr<PickleRef> Error(const std::string& what) {
    return absl::DataLossError(absl::StrCat(source_, ": bad pickle: ", what));
  }

  absl::StatusOr<uint64_t> ReadLe(int bytes) {
    if (data_.size() - pos_ < static_cast<size_t>(bytes)) return Fail("truncated operand");
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) {
      value |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    return value;
  }

  absl::StatusOr<std::string> ReadBytes(uint64_t n) {
    if (n > kMaxStringBytes || data_.size() - pos_ < n) return Fail("truncated string");
    std::string out(data_.substr(pos_, n));
    pos_ += n;
    return out;
  }

  absl::StatusOr<std::string> ReadLine() {
    size_t end = data_.find('\n', pos_);
    if (end == std::string_view::npos) return Fail("unterminated line");
    std::string out(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }

  absl::Status Push(PickleRef value) {
    if (stack_.size() >= kMaxStack) return Fail("stack too deep");
    stack_.push_back(std::move(value));
    return absl::OkStatus();
  }

  absl::StatusOr<PickleRef> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Fail("pop from an empty stack");
    }
    PickleRef value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }

  absl::StatusOr<std::vector<PickleRef>> PopToMark() {
    if (marks_.empty()) return Fail("no MARK");
    size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return items;
  }

  absl::Status Memoize(uint64_t index) {
    if (stack_.empty()) return Fail("memoize with an empty stack");
    memo_[index] = stack_.back();
    return absl::OkStatus();
  }

  absl::Status Recall(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Fail(absl::StrCat("memo ", index, " was never stored"));
    return Push(it->second);
  }

  absl::Status PushInt(int64_t v) {
    PickleRef value = Make(PickleValue::Kind::kInt);
    value->integer = v;
    return Push(value);
  }

  absl::Status PushString(std::string s, PickleValue::Kind kind = PickleValue::Kind::kString) {
    PickleRef value = Make(kind);
    value->text = std::move(s);
    return Push(value);
  }

  absl::Status PushTuple(std::vector<PickleRef> items) {
    PickleRef value = Make(PickleValue::Kind::kTuple);
    value->items = std::move(items);
    return Push(value);
  }

  absl::Status PushGlobal(const std::string& module, const std::string& name) {
    return PushString(absl::StrCat(module, ".", name), PickleValue::Kind::kGlobal);
  }

  absl::Status AddToList(const PickleRef& list, std::vector<PickleRef> items) {
    if (list->kind != PickleValue::Kind::kList) return Fail("APPEND to a non-list");
    for (auto& item : items) list->items.push_back(std::move(item));
    return absl::OkStatus();
  }

  absl::Status AddToDict(const PickleRef& dict, std::vector<PickleRef> items) {
    if (items.size() % 2 != 0) return Fail("SETITEMS with an odd item count");
    // An Object that is a dict subclass (e.g. an unknown mapping) keeps entries too.
    if (dict->kind != PickleValue::Kind::kDict && dict->kind != PickleValue::Kind::kObject) {
      return Fail("SETITEM on a non-dict");
    }
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
    return absl::OkStatus();
  }

  // ('storage', <storage type global>, key, location, numel)
  absl::StatusOr<PickleRef> PersistentLoad(const PickleRef& pid) {
    if (pid->kind != PickleValue::Kind::kTuple || pid->items.size() < 5 ||
        !pid->items[0]->IsString() || pid->items[0]->text != "storage") {
      return Fail("unsupported persistent id (expected a torch storage)");
    }
    const PickleRef& type = pid->items[1];
    const PickleRef& key = pid->items[2];
    const PickleRef& numel = pid->items[4];
    if (type->kind != PickleValue::Kind::kGlobal || !key->IsString() ||
        numel->kind != PickleValue::Kind::kInt || numel->integer < 0) {
      return Fail("malformed storage persistent id");
    }
    PickleRef storage = Make(PickleValue::Kind::kStorage);
    std::string type_name = type->text.substr(type->text.rfind('.') + 1);
    storage->tensor.dtype_name = type_name;
    for (const StorageType& t : kStorageTypes) {
      if (type_name == t.name) storage->tensor.dtype = t.dtype;
    }
    storage->tensor.storage_key = key->text;
    storage->tensor.storage_numel = numel->integer;
    return storage;
  }

  absl::StatusOr<std::vector<int64_t>> IntTuple(const PickleRef& value, const char* what) {
    if (value->kind != PickleValue::Kind::kTuple && value->kind != PickleValue::Kind::kList) {
      return Fail(absl::StrCat(what, " is not a tuple"));
    }
    if (value->items.size() > kMaxRank) return Fail(absl::StrCat(what, " has too many dimensions"));
    std::vector<int64_t> out;
    for (const PickleRef& item : value->items) {
      if (item->kind != PickleValue::Kind::kInt) return Fail(absl::StrCat(what, " holds a non-int"));
      out.push_back(item->integer);
    }
    return out;
  }

  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...); v3 adds
  // the dtype as argument 7 for untyped storages.
  absl::StatusOr<PickleRef> RebuildTensor(const std::vector<PickleRef>& args, bool v3) {
    if (args.size() < 4 || args[0]->kind != PickleValue::Kind::kStorage ||
        args[1]->kind != PickleValue::Kind::kInt) {
      return Fail("malformed tensor rebuild arguments");
    }
    PickleRef tensor = Make(PickleValue::Kind::kTensor);
    tensor->tensor = args[0]->tensor;
    tensor->tensor.storage_offset = args[1]->integer;
    CAMOE_ASSIGN_OR_RETURN(tensor->tensor.shape, IntTuple(args[2], "tensor size"));
    CAMOE_ASSIGN_OR_RETURN(tensor->tensor.stride, IntTuple(args[3], "tensor stride"));
    if (tensor->tensor.shape.size() != tensor->tensor.stride.size()) {
      return Fail("tensor size and stride differ in rank");
    }
    if (v3 && args.size() >= 7 && args[6]->kind == PickleValue::Kind::kGlobal) {
      static const std::pair<const char*, TensorDtype> kDtypes[] = {
          {"torch.float32", DTYPE_FLOAT32}, {"torch.float", DTYPE_FLOAT32},
          {"torch.float16", DTYPE_FLOAT16}, {"torch.half", DTYPE_FLOAT16},
          {"torch.bfloat16", DTYPE_BFLOAT16}, {"torch.float64", DTYPE_FLOAT64},
          {"torch.double", DTYPE_FLOAT64}, {"torch.int64", DTYPE_INT64},
          {"torch.long", DTYPE_INT64},       {"torch.int32", DTYPE_INT32},
          {"torch.int", DTYPE_INT32},        {"torch.uint8", DTYPE_UINT8},
          {"torch.bool", DTYPE_UINT8},
      };
      const std::string& name = args[6]->text;
      tensor->tensor.dtype = DTYPE_UNSPECIFIED;
      tensor->tensor.dtype_name = name;
      for (const auto& [torch_name, dtype] : kDtypes) {
        if (name == torch_name) tensor->tensor.dtype = dtype;
      }
      // An untyped storage counts bytes; express its size in elements.
      const int size = DtypeSize(tensor->tensor.dtype);
      if (size > 0 && args[0]->tensor.dtype == DTYPE_UNSPECIFIED) {
        tensor->tensor.storage_numel = args[0]->tensor.storage_numel / size;
      }
    }
    return tensor;
  }

  // Interprets the callables torch writes; everything else stays an inert Object.
  absl::StatusOr<PickleRef> Reduce(const PickleRef& callable, const PickleRef& args) {
    if (args->kind != PickleValue::Kind::kTuple) return Fail("REDUCE arguments are not a tuple");
    const std::string name = callable->kind == PickleValue::Kind::kGlobal ? callable->text : "";
    const std::vector<PickleRef>& a = args->items;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      return RebuildTensor(a, /*v3=*/false);
    }
    if (name == "torch._utils._rebuild_tensor_v3") return RebuildTensor(a, /*v3=*/true);
    if ((name == "torch._utils._rebuild_parameter" ||
         name == "torch._utils._rebuild_parameter_with_state") && !a.empty()) {
      return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2" && a.size() >= 3 &&
        a[2]->kind == PickleValue::Kind::kTuple) {
      return Reduce(a[0], a[2]);
    }
    if (name == "collections.OrderedDict" || name == "builtins.dict") return Make(PickleValue::Kind::kDict);
    if (name == "torch.jit._pickle.restore_type_tag" && !a.empty()) return a[0];
    if (name.rfind("torch.jit._pickle.build_", 0) == 0 && !a.empty()) return a[0];
    PickleRef object = Make(PickleValue::Kind::kObject);
    object->text = name.empty() ? "<callable>" : name;
    object->items = a;
    return object;
  }

  absl::Status Build(const PickleRef& target, const PickleRef& state) {
    if (target->kind == PickleValue::Kind::kObject) {
      // Python objects pickle their __dict__; TorchScript modules an attribute dict.
      if (state->kind == PickleValue::Kind::kDict) {
        for (const auto& entry : state->entries) target->entries.push_back(entry);
      } else {
        target->state = state;
      }
    }
    // BUILD on dicts (OrderedDict._metadata) and tensors carries nothing we need.
    return absl::OkStatus();
  }

  absl::Status Step(uint8_t op) {
    using Kind = PickleValue::Kind;
    switch (op) {
      case 0x80: {  // PROTO
        CAMOE_ASSIGN_OR_RETURN(uint64_t version, ReadLe(1));
        if (version > 5) return Fail(absl::StrCat("pickle protocol ", version));
        return absl::OkStatus();
      }
      case 0x95:  // FRAME: the length only helps streaming readers
        return ReadLe(8).status();
      case '.':  // STOP
        done_ = true;
        return absl::OkStatus();
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return absl::OkStatus();
      case 'N': return Push(Make(Kind::kNone));
      case 0x88:
      case 0x89: {  // NEWTRUE / NEWFALSE
        PickleRef v = Make(Kind::kBool);
        v->boolean = op == 0x88;
        return Push(v);
      }
      case 'J': {  // BININT
        CAMOE_ASSIGN_OR_RETURN(uint64_t v, ReadLe(4));
        return PushInt(static_cast<int32_t>(static_cast<uint32_t>(v)));
      }
      case 'K': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t v, ReadLe(1));
        return PushInt(static_cast<int64_t>(v));
      }
      case 'M': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t v, ReadLe(2));
        return PushInt(static_cast<int64_t>(v));
      }
      case 0x8a: {  // LONG1: little-endian two's complement
        CAMOE_ASSIGN_OR_RETURN(uint64_t n, ReadLe(1));
        if (n > 8) return Fail("integer wider than 64 bits");
        if (n == 0) return PushInt(0);
        CAMOE_ASSIGN_OR_RETURN(uint64_t v, ReadLe(static_cast<int>(n)));
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
        return PushInt(static_cast<int64_t>(v));
      }
      case 'G': {  // BINFLOAT, big-endian
        if (data_.size() - pos_ < 8) return Fail("truncated float");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(data_[pos_ + i]);
        pos_ += 8;
        PickleRef v = Make(Kind::kFloat);
        std::memcpy(&v->real, &bits, 8);
        return Push(v);
      }
      case 'X':    // BINUNICODE
      case 'T':    // BINSTRING
      case 'B':    // BINBYTES
      case 0x8c:   // SHORT_BINUNICODE
      case 'U':    // SHORT_BINSTRING
      case 'C':    // SHORT_BINBYTES
      case 0x8d:   // BINUNICODE8
      case 0x8e: {  // BINBYTES8
        int width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
        CAMOE_ASSIGN_OR_RETURN(uint64_t n, ReadLe(width));
        CAMOE_ASSIGN_OR_RETURN(std::string s, ReadBytes(n));
        bool bytes = op == 'B' || op == 'C' || op == 0x8e;
        return PushString(std::move(s), bytes ? Kind::kBytes : Kind::kString);
      }
      case ']': return Push(Make(Kind::kList));
      case '}': return Push(Make(Kind::kDict));
      case ')': return PushTuple({});
      case 'l': {  // LIST
        CAMOE_ASSIGN_OR_RETURN(std::vector<PickleRef> items, PopToMark());
        PickleRef v = Make(Kind::kList);
        v->items = std::move(items);
        return Push(v);
      }
      case 't': {  // TUPLE
        CAMOE_ASSIGN_OR_RETURN(std::vector<PickleRef> items, PopToMark());
        return PushTuple(std::move(items));
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        size_t n = op - 0x84;
        std::vector<PickleRef> items(n);
        for (size_t i = n; i-- > 0;) {
          CAMOE_ASSIGN_OR_RETURN(items[i], Pop());
        }
        return PushTuple(std::move(items));
      }
      case 'd': {  // DICT
        CAMOE_ASSIGN_OR_RETURN(std::vector<PickleRef> items, PopToMark());
        PickleRef v = Make(Kind::kDict);
        CAMOE_RETURN_IF_ERROR(AddToDict(v, std::move(items)));
        return Push(v);
      }
      case 'a': {  // APPEND
        CAMOE_ASSIGN_OR_RETURN(PickleRef item, Pop());
        if (stack_.empty()) return Fail("APPEND without a list");
        return AddToList(stack_.back(), {item});
      }
      case 'e': {  // APPENDS
        CAMOE_ASSIGN_OR_RETURN(std::vector<PickleRef> items, PopToMark());
        if (stack_.empty()) return Fail("APPENDS without a list");
        return AddToList(stack_.back(), std::move(items));
      }
      case 's': {  // SETITEM
        CAMOE_ASSIGN_OR_RETURN(PickleRef value, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef key, Pop());
        if (stack_.empty()) return Fail("SETITEM without a dict");
        return AddToDict(stack_.back(), {key, value});
      }
      case 'u': {  // SETITEMS
        CAMOE_ASSIGN_OR_RETURN(std::vector<PickleRef> items, PopToMark());
        if (stack_.empty()) return Fail("SETITEMS without a dict");
        return AddToDict(stack_.back(), std::move(items));
      }
      case 'q': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t i, ReadLe(1));
        return Memoize(i);
      }
      case 'r': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t i, ReadLe(4));
        return Memoize(i);
      }
      case 0x94: return Memoize(memo_.size());  // MEMOIZE
      case 'h': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t i, ReadLe(1));
        return Recall(i);
      }
      case 'j': {
        CAMOE_ASSIGN_OR_RETURN(uint64_t i, ReadLe(4));
        return Recall(i);
      }
      case 'c': {  // GLOBAL "module\nname\n"
        CAMOE_ASSIGN_OR_RETURN(std::string module, ReadLine());
        CAMOE_ASSIGN_OR_RETURN(std::string name, ReadLine());
        return PushGlobal(module, name);
      }
      case 0x93: {  // STACK_GLOBAL
        CAMOE_ASSIGN_OR_RETURN(PickleRef name, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef module, Pop());
        if (!name->IsString() || !module->IsString()) return Fail("STACK_GLOBAL needs strings");
        return PushGlobal(module->text, name->text);
      }
      case 'R': {  // REDUCE
        CAMOE_ASSIGN_OR_RETURN(PickleRef args, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef callable, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef result, Reduce(callable, args));
        return Push(result);
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        CAMOE_ASSIGN_OR_RETURN(PickleRef args, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef cls, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef result, Reduce(cls, args));
        return Push(result);
      }
      case 'b': {  // BUILD
        CAMOE_ASSIGN_OR_RETURN(PickleRef state, Pop());
        if (stack_.empty()) return Fail("BUILD without an object");
        return Build(stack_.back(), state);
      }
      case 'Q': {  // BINPERSID
        CAMOE_ASSIGN_OR_RETURN(PickleRef pid, Pop());
        CAMOE_ASSIGN_OR_RETURN(PickleRef storage, PersistentLoad(pid));
        return Push(storage);
      }
      default:
        return Fail("unsupported opcode");
    }
  }

  std::string_view data_;
  const std::string& source_;
  size_t pos_ = 0;
  bool done_ = false;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PickleRef> memo_;
};

}  // namespace

absl::StatusOr<PickleRef> Unpickle(std::string_view data, const std::string& source) {
  return Unpickler(data, source).Run();
}

}  // namespace camoe
