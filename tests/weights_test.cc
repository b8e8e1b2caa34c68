// Torch-free weight-file machinery: zip directory parsing, the restricted
// unpickler, torch archive reading (strided views, shared storages), and the
// CLIP key maps and shape inference. Archives are composed byte by byte here.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "common/file_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/test_paths.h"
#include "worker/weights/clip_state_dict.h"
#include "worker/weights/clip_weights_file.h"
#include "worker/weights/pickle.h"
#include "worker/weights/torch_archive.h"
#include "worker/weights/zip_archive.h"

namespace camoe {
namespace {

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A stored (uncompressed) zip, as torch writes them.
std::string MakeZip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, directory;
  for (const auto& [name, data] : files) {
    uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), data.size());
    size_t offset = out.size();
    PutLe(&out, 0x04034b50, 4);
    PutLe(&out, 20, 2); PutLe(&out, 0, 2); PutLe(&out, 0, 2);  // version, flags, method
    PutLe(&out, 0, 4);                                          // time/date
    PutLe(&out, crc, 4); PutLe(&out, data.size(), 4); PutLe(&out, data.size(), 4);
    PutLe(&out, name.size(), 2); PutLe(&out, 0, 2);
    out += name + data;
    PutLe(&directory, 0x02014b50, 4);
    PutLe(&directory, 20, 2); PutLe(&directory, 20, 2); PutLe(&directory, 0, 2);
    PutLe(&directory, 0, 2); PutLe(&directory, 0, 4);
    PutLe(&directory, crc, 4); PutLe(&directory, data.size(), 4); PutLe(&directory, data.size(), 4);
    PutLe(&directory, name.size(), 2); PutLe(&directory, 0, 2); PutLe(&directory, 0, 2);
    PutLe(&directory, 0, 2); PutLe(&directory, 0, 2); PutLe(&directory, 0, 4);
    PutLe(&directory, offset, 4);
    directory += name;
  }
  size_t dir_offset = out.size();
  out += directory;
  PutLe(&out, 0x06054b50, 4);
  PutLe(&out, 0, 2); PutLe(&out, 0, 2);
  PutLe(&out, files.size(), 2); PutLe(&out, files.size(), 2);
  PutLe(&out, directory.size(), 4); PutLe(&out, dir_offset, 4); PutLe(&out, 0, 2);
  return out;
}

// Composes protocol-2 pickles.
class PickleWriter {
 public:
  PickleWriter() { bytes_ = "\x80\x02"; }
  PickleWriter& Op(char op) { bytes_ += op; return *this; }
  PickleWriter& Str(const std::string& s) {
    bytes_ += 'X';
    PutLe(&bytes_, s.size(), 4);
    bytes_ += s;
    return *this;
  }
  PickleWriter& Int(int32_t v) {
    bytes_ += 'J';
    PutLe(&bytes_, static_cast<uint32_t>(v), 4);
    return *this;
  }
  PickleWriter& Global(const std::string& module, const std::string& name) {
    bytes_ += 'c' + module + "\n" + name + "\n";
    return *this;
  }
  PickleWriter& IntTuple(const std::vector<int32_t>& values) {
    Op('(');
    for (int32_t v : values) Int(v);
    return Op('t');
  }
  // torch._utils._rebuild_tensor_v2(storage(key, dtype, numel), offset, size, stride, False, {})
  PickleWriter& Tensor(const std::string& key, const std::string& storage_type, int32_t numel,
                       int32_t offset, const std::vector<int32_t>& size,
                       const std::vector<int32_t>& stride) {
    Global("torch._utils", "_rebuild_tensor_v2");
    Op('(');
    Op('(').Str("storage").Global("torch", storage_type).Str(key).Str("cpu").Int(numel).Op('t');
    Op('Q');
    Int(offset).IntTuple(size).IntTuple(stride).Op('\x89');
    Global("collections", "OrderedDict").Op(')').Op('R');
    Op('t').Op('R');
    return *this;
  }
  // torch._utils._rebuild_tensor_v3(untyped storage(key, nbytes), offset, size, stride,
  //                                 False, {}, torch.<dtype>)
  PickleWriter& TensorV3(const std::string& key, int32_t nbytes, const std::string& dtype,
                         const std::vector<int32_t>& size, const std::vector<int32_t>& stride) {
    Global("torch._utils", "_rebuild_tensor_v3");
    Op('(');
    Op('(').Str("storage").Global("torch", "UntypedStorage").Str(key).Str("cpu").Int(nbytes).Op('t');
    Op('Q');
    Int(0).IntTuple(size).IntTuple(stride).Op('\x89');
    Global("collections", "OrderedDict").Op(')').Op('R');
    Global("torch", dtype);
    Op('t').Op('R');
    return *this;
  }
  std::string Done() { return bytes_ + '.'; }

 private:
  std::string bytes_;
};

std::string Floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> AsFloats(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

TEST(PickleTest, ReadsNestedContainersMemoAndNumbers) {
  // {'a': 5, 'b': [1, -1, a memo recall of 'a'], 'c': 2.5, 'd': -300 (LONG1)}
  std::string data = PickleWriter()
                         .Op('}').Op('(')
                         .Str("a").Op('q').Op('\x00').Op('K').Op('\x05')
                         .Str("b").Op(']').Op('(').Op('K').Op('\x01').Int(-1)
                         .Op('h').Op('\x00').Op('e')
                         .Str("c").Op('G')
                         .Done();
  // Patch in the float and LONG1 by hand after 'G'.
  data.pop_back();
  const unsigned char two_and_half[8] = {0x40, 0x04, 0, 0, 0, 0, 0, 0};
  data.append(reinterpret_cast<const char*>(two_and_half), 8);
  data += "X";
  PutLe(&data, 1, 4);
  data += "d";
  data += "\x8a\x02\xd4\xfe";  // -300 as 2-byte two's complement
  data += "u.";
  auto root = Unpickle(data, "test");
  ASSERT_TRUE(root.ok()) << root.status();
  ASSERT_EQ((*root)->kind, PickleValue::Kind::kDict);
  ASSERT_EQ((*root)->entries.size(), 4u);
  EXPECT_EQ((*root)->entries[0].second->integer, 5);
  const auto& list = (*root)->entries[1].second->items;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1]->integer, -1);
  EXPECT_EQ(list[2]->text, "a");
  EXPECT_DOUBLE_EQ((*root)->entries[2].second->real, 2.5);
  EXPECT_EQ((*root)->entries[3].second->integer, -300);
}

TEST(PickleTest, MalformedInputIsAnErrorNeverACrash) {
  std::string good = PickleWriter().Op('}').Str("k").Int(1).Op('s').Done();
  ASSERT_TRUE(Unpickle(good, "g").ok());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(Unpickle(good.substr(0, cut), "cut").ok()) << cut;
  }
  EXPECT_EQ(Unpickle("\x80\x02\xff.", "bad").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(Unpickle("\x80\x02h\x05.", "memo").ok());   // recall of an unknown memo
  EXPECT_FALSE(Unpickle("\x80\x02t.", "mark").ok());       // TUPLE without MARK
  EXPECT_FALSE(Unpickle("\x80\x02X\xff\xff\xff\x7f.", "len").ok());  // string past the end
}

TEST(PickleTest, ArbitraryCallablesStayInertObjects) {
  std::string data = PickleWriter().Global("os", "system").Op('(').Str("rm -rf /").Op('t').Op('R').Done();
  auto root = Unpickle(data, "evil");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*root)->kind, PickleValue::Kind::kObject);
  EXPECT_EQ((*root)->text, "os.system");
}

class TorchArchiveTest : public ::testing::Test {
 protected:
  std::vector<float> storage_ = {0, 1, 2, 3, 4, 5, 6, 7};
};

TEST_F(TorchArchiveTest, ReadsContiguousStridedAndSharedStorageViews) {
  std::string pickle = PickleWriter()
                           .Global("collections", "OrderedDict").Op(')').Op('R')
                           .Op('(')
                           .Str("whole").Tensor("0", "FloatStorage", 8, 0, {2, 4}, {4, 1})
                           .Str("transposed").Tensor("0", "FloatStorage", 8, 0, {4, 2}, {1, 4})
                           .Str("tail").Tensor("0", "FloatStorage", 8, 5, {3}, {1})
                           .Str("meta").Int(7)
                           .Op('u')
                           .Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  auto archive = ReadTorchArchive(zip, "mem.pt");
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ(archive->kind, TorchArchive::Kind::kTorchSave);
  ASSERT_EQ(archive->tensors.size(), 3u);
  EXPECT_EQ(AsFloats(archive->tensors[0].bytes), storage_);
  EXPECT_EQ(archive->tensors[1].shape, std::vector<int64_t>({4, 2}));
  EXPECT_EQ(AsFloats(archive->tensors[1].bytes), std::vector<float>({0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_EQ(AsFloats(archive->tensors[2].bytes), std::vector<float>({5, 6, 7}));
  EXPECT_EQ(archive->other_values, std::vector<std::string>({"meta"}));
}

TEST_F(TorchArchiveTest, ReadsUntypedStoragesWithAnExplicitDtype) {
  std::string pickle = PickleWriter().Op('}').Str("w")
                           .TensorV3("0", 32, "float32", {2, 2}, {1, 2}).Op('s').Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  auto archive = ReadTorchArchive(zip, "mem.pt");
  ASSERT_TRUE(archive.ok()) << archive.status();
  EXPECT_EQ(archive->tensors[0].dtype, DTYPE_FLOAT32);
  EXPECT_EQ(AsFloats(archive->tensors[0].bytes), std::vector<float>({0, 2, 1, 3}));
}

TEST_F(TorchArchiveTest, ViewOutsideItsStorageIsRefused) {
  std::string pickle = PickleWriter().Op('}').Str("w")
                           .Tensor("0", "FloatStorage", 8, 6, {3}, {1}).Op('s').Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  auto archive = ReadTorchArchive(zip, "mem.pt");
  EXPECT_EQ(archive.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(archive.status().message().find("tensor 'w'"), std::string::npos) << archive.status();
}

TEST_F(TorchArchiveTest, CorruptedStorageFailsItsCrc) {
  std::string pickle = PickleWriter().Op('}').Str("w")
                           .Tensor("0", "FloatStorage", 8, 0, {8}, {1}).Op('s').Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  size_t at = zip.find(Floats(storage_));
  zip[at + 5] ^= 0x40;
  auto archive = ReadTorchArchive(zip, "mem.pt");
  EXPECT_EQ(archive.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(archive.status().message().find("CRC-32 mismatch"), std::string::npos);
}

TEST_F(TorchArchiveTest, EveryTruncationIsAnError) {
  std::string pickle = PickleWriter().Op('}').Str("w")
                           .Tensor("0", "FloatStorage", 8, 0, {8}, {1}).Op('s').Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  for (size_t cut = 0; cut < zip.size(); cut += 7) {
    EXPECT_FALSE(ReadTorchArchive(zip.substr(0, cut), "cut").ok()) << cut;
  }
}

TEST_F(TorchArchiveTest, ComplexStorageIsUnimplementedNamingTheTensor) {
  std::string pickle = PickleWriter().Op('}').Str("z")
                           .Tensor("0", "ComplexFloatStorage", 4, 0, {4}, {1}).Op('s').Done();
  std::string zip = MakeZip({{"archive/data.pkl", pickle}, {"archive/data/0", Floats(storage_)}});
  auto archive = ReadTorchArchive(zip, "mem.pt");
  EXPECT_EQ(archive.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(archive.status().message().find("'z'"), std::string::npos);
}

TEST(ZipArchiveTest, ZipWithoutDataPklIsNotATorchArchive) {
  std::string zip = MakeZip({{"readme.txt", "hello"}});
  auto parsed = ZipArchive::Open(zip, "z");
  ASSERT_TRUE(parsed.ok());
  std::string scratch;
  EXPECT_EQ(*parsed->Read("readme.txt", &scratch), "hello");
  EXPECT_EQ(ReadTorchArchive(zip, "z").status().code(), absl::StatusCode::kInvalidArgument);
}

// Tiny OpenAI-named buffers whose values encode their name, for key-map tests.
std::vector<NamedBuffer> TinyBuffers(const ClipConfig& config) {
  std::vector<NamedBuffer> out;
  float seed = 0;
  for (const auto& [name, shape] : ExpectedClipShapes(config)) {
    NamedBuffer b;
    b.name = name;
    b.shape = shape;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = seed + 0.001f * i;
    seed += 1;
    b.bytes = Floats(v);
    out.push_back(std::move(b));
  }
  return out;
}

ClipConfig SmallConfig() {
  ClipConfig c;
  c.set_embed_dim(8);
  c.mutable_vision()->set_image_resolution(16);
  c.mutable_vision()->set_patch_size(8);
  c.mutable_vision()->set_width(128);
  c.mutable_vision()->set_layers(3);
  c.mutable_vision()->set_heads(2);
  c.mutable_text()->set_context_length(8);
  c.mutable_text()->set_width(64);
  c.mutable_text()->set_layers(2);
  c.mutable_text()->set_heads(1);
  return c;
}

TEST(ClipStateDictTest, InfersTheArchitectureFromShapes) {
  ClipConfig config = SmallConfig();
  auto inferred = InferClipConfig(TinyBuffers(config));
  ASSERT_TRUE(inferred.ok()) << inferred.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(*inferred, config))
      << inferred->DebugString();
}

TEST(ClipStateDictTest, HuggingFaceNamesMapBackExactly) {
  ClipConfig config = SmallConfig();
  std::vector<NamedBuffer> openai = TinyBuffers(config);
  // Build transformers' layout from the OpenAI one.
  std::vector<NamedBuffer> hf;
  auto rename = [](std::string n) {
    auto replace = [&n](const std::string& from, const std::string& to) {
      size_t at = n.find(from);
      if (at != std::string::npos) n.replace(at, from.size(), to);
    };
    if (n.rfind("visual.transformer.resblocks.", 0) == 0) {
      replace("visual.transformer.resblocks.", "vision_model.encoder.layers.");
    } else {
      replace("transformer.resblocks.", "text_model.encoder.layers.");
    }
    replace("visual.class_embedding", "vision_model.embeddings.class_embedding");
    replace("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight");
    replace("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight");
    replace("visual.ln_pre.", "vision_model.pre_layrnorm.");
    replace("visual.ln_post.", "vision_model.post_layernorm.");
    if (n == "token_embedding.weight") n = "text_model.embeddings.token_embedding.weight";
    if (n == "positional_embedding") n = "text_model.embeddings.position_embedding.weight";
    replace("ln_final.", "text_model.final_layer_norm.");
    replace(".attn.out_proj.", ".self_attn.out_proj.");
    replace(".ln_1.", ".layer_norm1.");
    replace(".ln_2.", ".layer_norm2.");
    replace(".mlp.c_fc.", ".mlp.fc1.");
    replace(".mlp.c_proj.", ".mlp.fc2.");
    return n;
  };
  for (const NamedBuffer& b : openai) {
    if (b.name == "text_projection" || b.name == "visual.proj") {
      NamedBuffer t = b;
      t.name = b.name == "text_projection" ? "text_projection.weight" : "visual_projection.weight";
      t.shape = {b.shape[1], b.shape[0]};
      std::vector<float> in = AsFloats(b.bytes), out(in.size());
      for (int64_t r = 0; r < b.shape[0]; ++r)
        for (int64_t c = 0; c < b.shape[1]; ++c) out[c * b.shape[0] + r] = in[r * b.shape[1] + c];
      t.bytes = Floats(out);
      hf.push_back(t);
      continue;
    }
    size_t at = b.name.find(".attn.in_proj_");
    if (at != std::string::npos) {
      std::string kind = b.name.substr(at + 14);
      std::string stem = rename(b.name.substr(0, at) + ".x").substr(0);
      stem = stem.substr(0, stem.size() - 2);
      const size_t third = b.bytes.size() / 3;
      for (int i = 0; i < 3; ++i) {
        NamedBuffer part = b;
        part.name = stem + ".self_attn." + std::string(1, "qkv"[i]) + "_proj." + kind;
        part.shape[0] /= 3;
        part.bytes = b.bytes.substr(i * third, third);
        hf.push_back(part);
      }
      continue;
    }
    NamedBuffer r = b;
    r.name = rename(b.name);
    hf.push_back(r);
  }
  NamedBuffer ids;
  ids.name = "text_model.embeddings.position_ids";
  ids.dtype = DTYPE_INT64;
  ids.shape = {1, 8};
  ids.bytes.assign(64, '\0');
  hf.push_back(ids);
  // Shuffle order: the mapping must not depend on it.
  std::reverse(hf.begin(), hf.end());
  auto canonical = CanonicalizeClipWeights(hf);
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  EXPECT_EQ(canonical->layout, ClipKeyLayout::kHuggingFace);
  EXPECT_EQ(canonical->dropped, std::vector<std::string>({"text_model.embeddings.position_ids"}));
  std::map<std::string, const NamedBuffer*> got;
  for (const NamedBuffer& b : canonical->tensors) got[b.name] = &b;
  ASSERT_EQ(got.size(), openai.size());
  for (const NamedBuffer& b : openai) {
    ASSERT_TRUE(got.count(b.name)) << b.name;
    EXPECT_EQ(got[b.name]->shape, b.shape) << b.name;
    EXPECT_TRUE(got[b.name]->bytes == b.bytes) << b.name;
  }
  EXPECT_TRUE(CheckClipShapes(canonical->tensors, config, "hf").ok());
}

TEST(ClipStateDictTest, OpenClipTextPrefixAndWrapperPrefixAreStripped) {
  std::vector<NamedBuffer> buffers = TinyBuffers(SmallConfig());
  for (NamedBuffer& b : buffers) {
    bool vision = b.name.rfind("visual.", 0) == 0 || b.name == "logit_scale";
    b.name = "module." + (vision ? b.name : "text." + b.name);
  }
  NamedBuffer extra = buffers[0];
  extra.name = "head.weight";
  buffers.push_back(extra);
  auto canonical = CanonicalizeClipWeights(buffers);
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  EXPECT_EQ(canonical->layout, ClipKeyLayout::kOpenClipText);
  EXPECT_EQ(canonical->stripped_prefix, "module.");
  EXPECT_EQ(canonical->ignored, std::vector<std::string>({"head.weight"}));
  EXPECT_TRUE(CheckClipShapes(canonical->tensors, SmallConfig(), "oc").ok());
}

TEST(ClipStateDictTest, ResNetAndNonClipWeightsAreRefused) {
  std::vector<NamedBuffer> buffers = TinyBuffers(SmallConfig());
  NamedBuffer resnet = buffers[0];
  resnet.name = "visual.layer1.0.conv1.weight";
  buffers.push_back(resnet);
  EXPECT_EQ(InferClipConfig(buffers).status().code(), absl::StatusCode::kUnimplemented);
  NamedBuffer other;
  other.name = "encoder.weight";
  other.shape = {1};
  other.bytes = Floats({1});
  auto status = CanonicalizeClipWeights({other}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("first keys: encoder.weight"), std::string::npos);
}

TEST(ClipStateDictTest, MismatchedProjectionsAreNamed) {
  std::vector<NamedBuffer> buffers = TinyBuffers(SmallConfig());
  for (NamedBuffer& b : buffers) {
    if (b.name == "visual.proj") {
      b.shape = {128, 4};
      b.bytes.resize(128 * 4 * 4);
    }
  }
  auto status = InferClipConfig(buffers).status();
  EXPECT_NE(status.message().find("key 'visual.proj' has shape [128, 4]"), std::string::npos)
      << status;
}

TEST(ClipWeightsFileTest, ReadsATorchSaveZipWrittenByHand) {
  // The whole path without torch: a zip holding a pickled dict of tensors.
  ClipConfig config = SmallConfig();
  std::vector<NamedBuffer> buffers = TinyBuffers(config);
  PickleWriter pickle;
  pickle.Op('}').Op('(');
  std::vector<std::pair<std::string, std::string>> records;
  for (size_t i = 0; i < buffers.size(); ++i) {
    std::vector<int32_t> size(buffers[i].shape.begin(), buffers[i].shape.end());
    std::vector<int32_t> stride(size.size(), 1);
    for (size_t d = size.size(); d-- > 1;) stride[d - 1] = stride[d] * size[d];
    int32_t numel = static_cast<int32_t>(buffers[i].bytes.size() / 4);
    pickle.Str(buffers[i].name).Tensor(std::to_string(i), "FloatStorage", numel, 0, size, stride);
    records.push_back({"clip/data/" + std::to_string(i), buffers[i].bytes});
  }
  pickle.Op('u');
  records.insert(records.begin(), {"clip/data.pkl", pickle.Done()});
  std::string dir = testing::TempDir("weights_test_handmade");
  ASSERT_TRUE(WriteFileAtomically(dir + "/w.pt", MakeZip(records)).ok());
  ClipWeightsOptions options;
  options.head_width = 64;
  auto weights = ReadClipWeights(dir + "/w.pt", options);
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->format, WeightsFormat::kTorchSave);
  EXPECT_EQ(weights->config.vision().layers(), 3);
  EXPECT_EQ(weights->parameter_count, ClipParameterCount(config));
}

}  // namespace
}  // namespace camoe
