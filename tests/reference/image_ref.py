#!/usr/bin/python3
"""Independent reference for worker/image: Pillow (and numpy) do the work.

Used by tests/image_reference_test.cc; each command reads an image file with
Pillow, writes raw little-endian output and prints the output's shape.

  image_ref.py decode IN OUT           Image.open(IN).convert("RGB") as HWC uint8
  image_ref.py resize IN W H OUT       Image.resize((W, H), BICUBIC), HWC uint8
  image_ref.py crop IN N OUT           torchvision's CenterCrop(N), HWC uint8
  image_ref.py clip IN N OUT           OpenAI CLIP's _transform(N) as CHW float32

`clip` re-implements torchvision's Resize(N, BICUBIC) -> CenterCrop(N) ->
ToTensor -> Normalize on a PIL image with numpy, following torchvision's
source (functional.resize / center_crop, transforms.ToTensor / Normalize),
since torchvision is not a Debian package. Torch's float32 ops are plain
IEEE float32, which numpy's float32 arrays reproduce exactly.
"""
import sys

import numpy as np
from PIL import Image

# Pillow 9.1 moved the filter constants to Image.Resampling.
BICUBIC = getattr(Image, "Resampling", Image).BICUBIC

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def tv_resize(img, size):
    """torchvision.transforms.functional.resize(img, size) for an int size."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    if short == size:
        return img
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return img.resize((new_w, new_h), BICUBIC)


def tv_center_crop(img, size):
    """torchvision.transforms.functional.center_crop(img, [size, size])."""
    arr = np.asarray(img)
    image_height, image_width = arr.shape[:2]
    crop_height = crop_width = size
    if crop_width > image_width or crop_height > image_height:
        left = (crop_width - image_width) // 2 if crop_width > image_width else 0
        top = (crop_height - image_height) // 2 if crop_height > image_height else 0
        right = (crop_width - image_width + 1) // 2 if crop_width > image_width else 0
        bottom = (crop_height - image_height + 1) // 2 if crop_height > image_height else 0
        arr = np.pad(arr, ((top, bottom), (left, right), (0, 0)), constant_values=0)
        image_height, image_width = arr.shape[:2]
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return arr[crop_top:crop_top + crop_height, crop_left:crop_left + crop_width]


def clip_transform(img, n_px):
    arr = tv_center_crop(tv_resize(img, n_px), n_px)
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1)).astype(np.float32)
    chw = chw / np.float32(255)  # ToTensor: float32 division by 255.
    # Normalize: tensor.sub_(mean).div_(std), per channel, in float32.
    return (chw - CLIP_MEAN[:, None, None]) / CLIP_STD[:, None, None]


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "decode" and len(argv) == 4:
        out = np.asarray(Image.open(argv[2]).convert("RGB"), dtype=np.uint8)
        target = argv[3]
    elif command == "resize" and len(argv) == 6:
        img = Image.open(argv[2]).convert("RGB")
        out = np.asarray(img.resize((int(argv[3]), int(argv[4])), BICUBIC), dtype=np.uint8)
        target = argv[5]
    elif command == "crop" and len(argv) == 5:
        out = tv_center_crop(Image.open(argv[2]).convert("RGB"), int(argv[3]))
        target = argv[4]
    elif command == "clip" and len(argv) == 5:
        out = clip_transform(Image.open(argv[2]).convert("RGB"), int(argv[3]))
        target = argv[4]
    else:
        sys.stderr.write(__doc__)
        return 2
    out = np.ascontiguousarray(out)
    out.astype(out.dtype.newbyteorder("<"), copy=False).tofile(target)
    print(" ".join(str(d) for d in out.shape))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
