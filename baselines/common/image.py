"""Image and mask resizing / normalisation shared by the baselines (square resize, ImageNet statistics)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_tensor(image: np.ndarray, size: int) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> float (3, size, size): bilinear resize to a square, then ImageNet-normalised."""
    resized = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    x = torch.from_numpy(resized).permute(2, 0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std


def mask_tensor(mask: np.ndarray, size: int) -> torch.Tensor:
    """Binary (H, W) mask -> long (size, size) by nearest-neighbour resize (the official target transform)."""
    resized = Image.fromarray(mask.astype(np.uint8)).resize((size, size), Image.NEAREST)
    return torch.from_numpy(np.asarray(resized, dtype=np.int64))


def to_original(prob: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, S, S) foreground probabilities -> (B, height, width), bilinear as the official evaluation."""
    return F.interpolate(prob[:, None], size=(height, width), mode="bilinear", align_corners=False)[:, 0]


def decide(prob: torch.Tensor, exist: float, height: int, width: int, threshold: float = 0.5):
    """The answer for one sample: None ("no target") when the existence probability is below ``threshold``
    or no pixel passes 0.5 after resizing ``prob`` (S, S) to (height, width); else the boolean mask."""
    if exist < threshold:
        return None
    binary = (to_original(prob[None], height, width)[0] > 0.5).numpy()
    return binary if binary.any() else None
