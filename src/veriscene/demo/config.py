"""Configuration of the demo world: what objects look like and how scenes are composed."""

from __future__ import annotations

from dataclasses import dataclass, field

from veriscene.demo.relations import RelationThresholds
from veriscene.demo.shapes import SHAPES

RGB = tuple[int, int, int]

_MAX_EXTENT = 1.15  # a shape reaches at most this * radius from its centre (star tips, rotated)

# Eight hues far apart in RGB (min pairwise distance ~ 70) and far from the background, so that a
# reader names each colour without hesitation, also under the shiny gradient.
DEFAULT_COLORS: dict[str, RGB] = {
    "red": (215, 38, 38),
    "green": (46, 160, 67),
    "blue": (40, 90, 220),
    "yellow": (245, 205, 30),
    "purple": (145, 70, 190),
    "orange": (245, 135, 25),
    "gray": (128, 128, 128),
    "brown": (125, 75, 35),
}

# Size radius ranges (pixels, about half the box side of an upright shape). Every large object is
# at least 36 / 20 = 1.8x every small one in side length; the range is the mild jitter.
DEFAULT_SIZES: dict[str, tuple[float, float]] = {
    "small": (17.0, 20.0),
    "large": (36.0, 41.0),
}


@dataclass(frozen=True)
class WorldConfig:
    width: int = 480  # image width, pixels
    height: int = 360  # image height, pixels
    min_objects: int = 3  # objects per scene, inclusive range (fewer only if placement fails)
    max_objects: int = 8
    shapes: tuple[str, ...] = SHAPES  # object names; each must be a shape known to shapes.py
    colors: dict[str, RGB] = field(default_factory=lambda: dict(DEFAULT_COLORS))
    sizes: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_SIZES))
    materials: tuple[str, ...] = ("matte", "shiny")  # matte: flat fill; shiny: gradient,
    # specular highlight and dark outline, same hue
    background: RGB = (236, 234, 228)  # warm light gray, far from every object colour
    max_rotation: float = 12.0  # degrees of jitter around the upright pose (squares stay squares)
    border_px: int = 3  # every full shape keeps this many pixels from the image edge
    min_visible: float = 0.6  # every object keeps at least this fraction of its area visible
    stack_prob: float = 0.25  # chance that a scene puts a small object on top of a large one
    max_tries: int = 60  # placement attempts per object before the object is dropped
    relations: RelationThresholds = field(default_factory=RelationThresholds)

    def __post_init__(self) -> None:
        if self.width < 64 or self.height < 64:
            raise ValueError(f"image size must be at least 64x64, got {self.width}x{self.height}")
        if not 1 <= self.min_objects <= self.max_objects:
            raise ValueError(
                f"need 1 <= min_objects <= max_objects, got {self.min_objects}..{self.max_objects}"
            )
        unknown = [s for s in self.shapes if s not in SHAPES]
        if unknown or not self.shapes:
            raise ValueError(f"unknown shapes {unknown}; expected a non-empty subset of {SHAPES}")
        if not self.colors:
            raise ValueError("colors must name at least one colour")
        for name, rgb in self.colors.items():
            if len(rgb) != 3 or not all(isinstance(v, int) and 0 <= v <= 255 for v in rgb):
                raise ValueError(f"color {name!r} must be three ints in 0..255, got {rgb!r}")
        if tuple(rgb for rgb in self.colors.values()).count(tuple(self.background)) > 0:
            raise ValueError(f"background {self.background} equals an object colour")
        for name, (lo, hi) in self.sizes.items():
            if not 4 <= lo <= hi:
                raise ValueError(f"size {name!r} radius range must satisfy 4 <= lo <= hi, got {lo}..{hi}")
        if not self.sizes:
            raise ValueError("sizes must name at least one size class")
        widest = 2 * _MAX_EXTENT * max(hi for _, hi in self.sizes.values()) + 2 * self.border_px
        if widest > min(self.width, self.height):
            raise ValueError(
                f"the largest shape needs {widest:.0f} pixels but the image is {self.width}x{self.height}"
            )
        if not set(self.materials) <= {"matte", "shiny"} or not self.materials:
            raise ValueError(f"materials must be a non-empty subset of ('matte', 'shiny'), got {self.materials}")
        if not 0.0 < self.min_visible <= 1.0:
            raise ValueError(f"min_visible must be in (0, 1], got {self.min_visible}")
        if not 0.0 <= self.stack_prob <= 1.0:
            raise ValueError(f"stack_prob must be in [0, 1], got {self.stack_prob}")

    @property
    def largest_size(self) -> str:
        """The size class with the largest radii (the base of stacks)."""
        return max(self.sizes, key=lambda s: self.sizes[s][0])

    @property
    def smallest_size(self) -> str:
        """The size class with the smallest radii (what is put on top in stacks)."""
        return min(self.sizes, key=lambda s: self.sizes[s][1])
