#!/usr/bin/env python3
"""Builds CLIP weight files the way PyTorch users produce them, for camoe's loader tests.

Independent of camoe's C++: the model below is an OpenAI-layout CLIP written with
torch.nn modules (nn.MultiheadAttention for attention). It writes, into OUT_DIR:

  openai_jit.pt     torch.jit.trace archive in fp16, like OpenAI's released ViT-B-32.pt
                    (with input_resolution/context_length/vocab_size entries)
  state_dict.pt     torch.save(model.state_dict()), fp32 OrderedDict
  huggingface.pt    the same weights under transformers' CLIPModel names
  open_clip.pt      open_clip's layout with the text tower under "text."
  wrapped.pt        {"state_dict": {"module.clip." + key: ...}, "epoch": 3, "head.weight": ...}
  inputs.pt         {"tokens": int64 [B, L], "images": float [B, 3, R, R]}
  expected.pt       {"text": [B, D], "image": [B, D]} from the fp32 model and
                    {"text_fp16": ..., "image_fp16": ...} from the fp16-rounded weights

Usage: /usr/bin/python3 tests/reference/make_clip_fixtures.py OUT_DIR
"""
import collections
import math
import os
import sys

import torch
from torch import nn

VISION = dict(resolution=32, patch=8, width=64, layers=2, heads=2)
TEXT = dict(context=16, vocab=49408, width=64, layers=2, heads=2)
EMBED = 24


class LayerNorm(nn.LayerNorm):
    def forward(self, x):
        return super().forward(x.float()).type(x.dtype)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(collections.OrderedDict(
            [("c_fc", nn.Linear(width, 4 * width)), ("gelu", QuickGELU()),
             ("c_proj", nn.Linear(4 * width, width))]))
        self.ln_2 = LayerNorm(width)
        self.attn_mask = attn_mask

    def forward(self, x):
        mask = self.attn_mask.to(x.dtype) if self.attn_mask is not None else None
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Tower(nn.Module):
    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Vision(nn.Module):
    def __init__(self):
        super().__init__()
        w, p = VISION["width"], VISION["patch"]
        grid = VISION["resolution"] // p
        self.conv1 = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(w) * 0.1)
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, w) * 0.1)
        self.ln_pre = LayerNorm(w)
        self.transformer = Tower(w, VISION["layers"], VISION["heads"])
        self.ln_post = LayerNorm(w)
        self.proj = nn.Parameter(torch.randn(w, EMBED) * 0.1)

    def forward(self, x):
        x = self.conv1(x.type(self.conv1.weight.dtype))
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1],
                                                            dtype=x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class Clip(nn.Module):
    def __init__(self):
        super().__init__()
        ctx, w = TEXT["context"], TEXT["width"]
        mask = torch.full((ctx, ctx), float("-inf")).triu(1)
        self.visual = Vision()
        self.transformer = Tower(w, TEXT["layers"], TEXT["heads"], mask)
        self.token_embedding = nn.Embedding(TEXT["vocab"], w)
        self.positional_embedding = nn.Parameter(torch.randn(ctx, w) * 0.1)
        self.ln_final = LayerNorm(w)
        self.text_projection = nn.Parameter(torch.randn(w, EMBED) * 0.1)
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        # Only full-context inputs, as OpenAI's model takes them.
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image, text):
        return self.encode_image(image), self.encode_text(text)


def randomize(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name or name.startswith("ln_"):
                if name.endswith("weight"):
                    p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
                else:
                    p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            elif name != "logit_scale":
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)


def to_huggingface(sd):
    out = {}
    for key, value in sd.items():
        if key == "text_projection":
            out["text_projection.weight"] = value.t().contiguous()
            continue
        if key == "visual.proj":
            out["visual_projection.weight"] = value.t().contiguous()
            continue
        name = key
        for old, new in [("visual.transformer.resblocks.", "vision_model.encoder.layers."),
                         ("transformer.resblocks.", "text_model.encoder.layers."),
                         ("visual.class_embedding", "vision_model.embeddings.class_embedding"),
                         ("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"),
                         ("visual.positional_embedding",
                          "vision_model.embeddings.position_embedding.weight"),
                         ("visual.ln_pre.", "vision_model.pre_layrnorm."),
                         ("visual.ln_post.", "vision_model.post_layernorm."),
                         ("token_embedding.weight", "text_model.embeddings.token_embedding.weight"),
                         ("positional_embedding", "text_model.embeddings.position_embedding.weight"),
                         ("ln_final.", "text_model.final_layer_norm.")]:
            if name.startswith(old):
                name = new + name[len(old):]
                break
        name = (name.replace(".attn.out_proj.", ".self_attn.out_proj.")
                .replace(".ln_1.", ".layer_norm1.").replace(".ln_2.", ".layer_norm2.")
                .replace(".mlp.c_fc.", ".mlp.fc1.").replace(".mlp.c_proj.", ".mlp.fc2."))
        if ".attn.in_proj_" in name:
            kind = "weight" if name.endswith("weight") else "bias"
            stem = name[:name.index(".attn.in_proj_")]
            for part, chunk in zip("qkv", value.chunk(3, dim=0)):
                out[f"{stem}.self_attn.{part}_proj.{kind}"] = chunk.contiguous()
            continue
        out[name] = value
    out["text_model.embeddings.position_ids"] = torch.arange(TEXT["context"]).unsqueeze(0)
    out["vision_model.embeddings.position_ids"] = torch.arange(
        (VISION["resolution"] // VISION["patch"]) ** 2 + 1).unsqueeze(0)
    return out


def to_open_clip(sd):
    out = collections.OrderedDict()
    for key, value in sd.items():
        out[key if key.startswith("visual.") or key == "logit_scale" else "text." + key] = value
    return out


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = Clip().eval()
    randomize(model, seed=1234)
    sd = model.state_dict()

    gen = torch.Generator().manual_seed(99)
    tokens = torch.zeros(3, TEXT["context"], dtype=torch.long)
    for row, n in enumerate([3, 7, 14]):
        tokens[row, 0] = 49406
        tokens[row, 1:n + 1] = torch.randint(1, 49406, (n,), generator=gen)
        tokens[row, n + 1] = 49407
    images = torch.randn(2, 3, VISION["resolution"], VISION["resolution"], generator=gen)

    with torch.no_grad():
        expected = {"text": model.encode_text(tokens), "image": model.encode_image(images)}
        half = Clip().eval()
        half.load_state_dict({k: v.half().float() for k, v in sd.items()})
        expected["text_fp16"] = half.encode_text(tokens)
        expected["image_fp16"] = half.encode_image(images)

    torch.save(sd, os.path.join(out_dir, "state_dict.pt"))
    torch.save(to_huggingface(sd), os.path.join(out_dir, "huggingface.pt"))
    torch.save(to_open_clip(sd), os.path.join(out_dir, "open_clip.pt"))
    wrapped = {"module.clip." + k: v for k, v in sd.items()}
    torch.save({"state_dict": wrapped, "epoch": 3, "head.weight": torch.ones(4, 4)},
               os.path.join(out_dir, "wrapped.pt"))
    torch.save({"tokens": tokens, "images": images}, os.path.join(out_dir, "inputs.pt"))
    torch.save(expected, os.path.join(out_dir, "expected.pt"))

    # OpenAI ships a traced model, fp16, whose state_dict also holds three scalars.
    # Trace in fp32 (CPU convolutions have no fp16 kernel here), then halve.
    traced_src = Clip().eval()
    traced_src.load_state_dict(sd)
    traced_src.register_buffer("input_resolution", torch.tensor(VISION["resolution"]))
    traced_src.register_buffer("context_length", torch.tensor(TEXT["context"]))
    traced_src.register_buffer("vocab_size", torch.tensor(TEXT["vocab"]))
    with torch.no_grad():
        traced = torch.jit.trace(traced_src, (images, tokens))
    traced.half()
    traced.save(os.path.join(out_dir, "openai_jit.pt"))
    print("wrote fixtures to", out_dir)


if __name__ == "__main__":
    main()
