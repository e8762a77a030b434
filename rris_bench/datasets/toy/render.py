"""Rendering a scene to pixels: a textured, cluttered background, flat-shaded objects, pixel noise.

The background carries faint strokes in the object colours and the whole image gets pixel noise, so a model
cannot find the target by colour alone. Objects are painted through the pycocotools raster of their outline,
the very mask their annotation gives, so ground truth and pixels agree exactly.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
from PIL import Image, ImageDraw

from ... import masks
from .scene import Obj, Scene
from .world import COLOURS

CLUTTER_STROKES = (3, 8)
PIXEL_NOISE = 10.0


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Low-saturation base colour, a smooth low-frequency texture and fine grain."""
    base = rng.uniform(90, 170) + rng.uniform(-15, 15, size=3)
    coarse = rng.normal(0, 18, size=(height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    smooth = np.asarray(Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.BILINEAR), dtype=np.float32) - 128
    return base + smooth


def _clutter(rng: np.random.Generator, image: Image.Image) -> None:
    """Faint strokes in object colours, blended into the background."""
    overlay = Image.new("RGB", image.size)
    alpha = Image.new("L", image.size, 0)
    draw, draw_a = ImageDraw.Draw(overlay), ImageDraw.Draw(alpha)
    colours = list(COLOURS.values())
    for _ in range(int(rng.integers(*CLUTTER_STROKES))):
        xy = [float(v) for v in rng.uniform(0, 1, 4) * ([image.width, image.height] * 2)]
        width = int(rng.integers(1, 3))
        draw.line(xy, fill=colours[int(rng.integers(len(colours)))], width=width)
        draw_a.line(xy, fill=int(rng.integers(60, 120)), width=width)
    image.paste(overlay, (0, 0), alpha)


def _edge(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` with a 4-neighbour outside it."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return mask & ~inner


def object_mask(obj: Obj, height: int, width: int) -> np.ndarray:
    """The pixels of an object: the pycocotools raster of its outline, exactly what its annotation gives."""
    return masks.decode(masks.from_segmentation([obj.points.reshape(-1).tolist()], height, width))


def render(scene: Scene, rng: np.random.Generator) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Pixels (H, W, 3) uint8 and one boolean mask (H, W) per object, in scene order.

    Objects are painted through their annotation raster (flat colour, darker rim inside the mask), so the
    ground truth is exactly the drawn region.
    """
    w, h = scene.width, scene.height
    image = Image.fromarray(np.clip(_background(rng, w, h), 0, 255).astype(np.uint8))
    _clutter(rng, image)
    pixels = np.asarray(image, dtype=np.float32).copy()
    object_masks = []
    for obj in scene.objects:
        mask = object_mask(obj, h, w)
        shade = np.clip(np.array(COLOURS[obj.colour]) + rng.uniform(-18, 18, size=3), 0, 255)
        pixels[mask] = shade
        pixels[_edge(mask)] = shade * 0.7
        object_masks.append(mask)
    pixels += rng.normal(0, PIXEL_NOISE, size=(h, w, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8), object_masks
