"""Unit outlines of the toy categories, as simple polygons (no holes, so a COCO polygon annotation is exact).

Each outline is centred on the origin, y pointing down (image coordinates), and scaled to the same area, so
"big" and "small" mean the same amount of pixels whatever the shape.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Dict

import numpy as np

UNIT_AREA = 2.4  # area of every unit outline; a radius-r object covers about UNIT_AREA * r**2 pixels


def _circle(n: int = 32) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(t), np.sin(t)], axis=1)


def _box() -> np.ndarray:
    return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float)


def _triangle() -> np.ndarray:
    t = np.deg2rad([-90, 30, 150])
    return np.stack([np.cos(t), np.sin(t) + 0.25], axis=1)


def _diamond() -> np.ndarray:
    return np.array([[0, -1], [0.7, 0], [0, 1], [-0.7, 0]], dtype=float)


def _star(points: int = 5, inner: float = 0.5) -> np.ndarray:
    t = np.deg2rad(-90 + np.arange(2 * points) * 180 / points)
    r = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def _cross(arm: float = 0.36) -> np.ndarray:
    a = arm
    return np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1], [-a, 1], [-a, a],
                     [-1, a], [-1, -a], [-a, -a]], dtype=float)


def _heart(n: int = 40) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([x, y + 2.5], axis=1) / 17


def _moon(offset: float = 0.45, inner: float = 0.85, n: int = 24) -> np.ndarray:
    """A crescent: the unit disc minus a disc of radius ``inner`` shifted right by ``offset``."""
    x = (1 - inner ** 2 + offset ** 2) / (2 * offset)
    y = np.sqrt(1 - x ** 2)
    a0 = np.arctan2(y, x)                       # where the circles meet, on the outer circle
    b0 = np.arctan2(y, x - offset)              # the same point, seen from the inner circle's centre
    outer = np.linspace(a0, 2 * np.pi - a0, n)  # the left, visible arc of the outer circle
    back = np.linspace(2 * np.pi - b0, b0, n)[1:-1]
    pts = [np.stack([np.cos(outer), np.sin(outer)], axis=1),
           np.stack([offset + inner * np.cos(back), inner * np.sin(back)], axis=1)]
    return np.concatenate(pts) + [0.3, 0]


_MAKERS: Dict[str, Callable[[], np.ndarray]] = {
    "ball": _circle, "heart": _heart, "moon": _moon, "box": _box, "triangle": _triangle,
    "diamond": _diamond, "star": _star, "cross": _cross,
}
ROTATES = {"box": 15.0, "triangle": 12.0, "diamond": 10.0, "star": 36.0, "cross": 15.0, "moon": 30.0}


def polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


@lru_cache(maxsize=None)
def _unit(name: str) -> np.ndarray:
    pts = _MAKERS[name]()
    pts = pts - (pts.max(axis=0) + pts.min(axis=0)) / 2  # centre the bounding box
    return pts * np.sqrt(UNIT_AREA / polygon_area(pts))


def outline(name: str, cx: float, cy: float, radius: float, angle_deg: float = 0.0) -> np.ndarray:
    """The outline of a ``name`` object centred at (cx, cy), as an (N, 2) array of pixel coordinates."""
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return _unit(name) @ rot.T * radius + [cx, cy]
