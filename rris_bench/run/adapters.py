"""The model interface: ``Sample`` in, ``Prediction`` out, and the registry that finds adapters by name.

An adapter is any class with a ``name``, ``predict(batch)`` and optionally ``setup``/``teardown``. The
registry holds the built-ins, the ``rris_bench.adapters`` entry-point group, and ``path/file.py:Class`` or
``module:Class`` references, so adding a model takes one file and no change to rris-bench.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import json
import sys
import traceback
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Dict, FrozenSet, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import InputError
from ..masks import RLE


@dataclass
class Target:
    """Ground truth, handed only to adapters that declare ``uses_ground_truth`` (the oracle baselines)."""

    exists: bool
    rle: RLE          # the union of the ref's targets (also for negatives: the ref's objects); empty without one
    box: List[float]  # [x, y, w, h] around the ref's targets; zeros without one
    image_category_ids: FrozenSet[int] = frozenset()  # categories of every annotation of the image
    categories: Sequence[Dict[str, Any]] = ()  # the dataset's instances.json categories (one shared list)


@dataclass
class Sample:
    """One (image, sentence) pair. ``image`` is RGB uint8 of shape (height, width, 3), read-only (the
    sentences of one image share it)."""

    image: np.ndarray
    image_id: int
    height: int
    width: int
    sent_id: int
    ref_id: int
    sentence: str     # the refer format's ``sent`` (lowercased, tokenised)
    raw: str = ""     # the refer format's ``raw`` text as annotated
    target: Optional[Target] = None


@dataclass
class Prediction:
    """The answer for one sample: a boolean (height, width) mask, a COCO RLE, or None for "no target".

    ``score`` is the model's confidence in [0, 1] that the target exists, when it has one.
    """

    mask: Union[np.ndarray, RLE, None]
    score: Optional[float] = None


class Adapter:
    """Base class (subclassing is optional; the harness only needs the attributes below).

    ``batch_size``: the preferred batch size. ``group_by_image``: the harness orders samples so that one
    image's sentences arrive together (an image is then encoded once). ``uses_ground_truth``: the harness
    fills ``Sample.target``; only bound-setting baselines should say so. ``reads_images`` False: the
    harness never opens the image files (``Sample.image`` is then a black read-only array of the image's
    size), so a baseline that answers from the annotations alone runs without the images.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    batch_size: ClassVar[int] = 8
    group_by_image: ClassVar[bool] = False
    uses_ground_truth: ClassVar[bool] = False
    reads_images: ClassVar[bool] = True

    def setup(self, device: str = "cpu") -> None:
        """Load weights and move to ``device``. Subclasses add keyword parameters for their options: they
        come from ``--opt key=value``, and an option the signature does not take is refused by name."""

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        raise NotImplementedError

    def teardown(self) -> None:
        """Free resources; called once after the last batch."""


# name -> "module:Class" of the built-in adapters; imported only when asked for, so the core needs no torch.
BUILTIN_ADAPTERS: Dict[str, str] = {
    "empty": "rris_bench.baselines.trivial:EmptyAdapter",
    "oracle": "rris_bench.baselines.trivial:OracleAdapter",
    "gt-box": "rris_bench.baselines.trivial:GtBoxAdapter",
    "category-oracle": "rris_bench.baselines.trivial:CategoryOracleAdapter",
    "refsegformer": "rris_bench.baselines.refsegformer.adapter:RefSegformerAdapter",
    "lavt": "rris_bench.baselines.lavt.adapter:LAVTAdapter",
    "lavt-plus": "rris_bench.baselines.lavt.adapter:LAVTPlusAdapter",
}

ENTRY_POINT_GROUP = "rris_bench.adapters"


@dataclass(frozen=True)
class AdapterEntry:
    """Where an adapter comes from: ``target`` is "module:Class" or "path/file.py:Class"."""

    name: str
    target: str
    origin: str  # "built-in", "entry point of <dist> <version>", "file" or "module"


def available() -> List[AdapterEntry]:
    """The adapters known by name: the built-ins, then the ``rris_bench.adapters`` entry points by name.

    An entry point that reuses a taken name is listed with ``origin`` saying it is shadowed.
    """
    entries = [AdapterEntry(name, target, "built-in") for name, target in BUILTIN_ADAPTERS.items()]
    taken = set(BUILTIN_ADAPTERS)
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        origin = f"entry point of {dist.name} {dist.version}" if dist is not None else "entry point"
        shadowed = ep.name in taken
        entries.append(AdapterEntry(ep.name, ep.value, origin + (", shadowed by an earlier one" if shadowed else "")))
        taken.add(ep.name)
    return entries


def is_reference(spec: str) -> bool:
    """``path/file.py:Class`` and ``module:Class`` are references; anything else is a registry name."""
    return ":" in spec


def find(spec: str) -> AdapterEntry:
    """The entry for a registry name or a reference; an unknown name raises with the closest names."""
    if is_reference(spec):
        where, _, attr = spec.rpartition(":")
        if not where or not attr:
            raise InputError("expected path/to/file.py:Class or module:Class", field="ADAPTER", record=spec)
        is_file = where.endswith(".py") or "/" in where or "\\" in where
        return AdapterEntry(attr, spec, "file" if is_file else "module")
    known: Dict[str, AdapterEntry] = {}
    for entry in available():
        known.setdefault(entry.name, entry)
    if spec in known:
        return known[spec]
    close = difflib.get_close_matches(spec, list(known), n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise InputError(f"unknown adapter {spec!r}; {hint}(known: {', '.join(known)}; "
                     "or give path/to/file.py:Class or module:Class)", field="ADAPTER")


def load_class(entry: AdapterEntry) -> Any:
    """Import what an entry points at; import problems become one-line InputErrors."""
    where, _, attr = entry.target.rpartition(":")
    module = _load_file(Path(where)) if entry.origin == "file" else _import(where, entry)
    if not hasattr(module, attr):
        candidates = [n for n, v in vars(module).items()
                      if inspect.isclass(v) and hasattr(v, "predict") and v.__module__ == module.__name__]
        close = difflib.get_close_matches(attr, candidates, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else \
            (f"; adapters there: {', '.join(sorted(candidates))}" if candidates else "")
        raise InputError(f"{where} has no attribute {attr!r}{hint}", field="ADAPTER")
    return getattr(module, attr)


def _import(module_name: str, entry: AdapterEntry) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if module_name == missing or module_name.startswith(missing + "."):
            raise InputError(f"no module named {missing!r} (is it installed, or on PYTHONPATH?)",
                             field="ADAPTER", record=entry.target) from None
        extra = " (pip install 'rris-bench[models]')" if missing in ("torch", "transformers") else ""
        raise InputError(f"adapter {entry.name} needs the module {missing!r}{extra}", field="ADAPTER") from None
    except Exception as exc:
        raise InputError(f"importing {module_name} failed: {_describe_exception(exc)}", field="ADAPTER") from None


def _load_file(path: Path) -> Any:
    """Import a Python file as a module of its own (registered in sys.modules, as dataclasses need)."""
    if not path.is_file():
        raise InputError("adapter file not found", path)
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    module_name = f"rris_bench_adapter_{''.join(c if c.isalnum() else '_' for c in path.stem)}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise InputError("not an importable Python file", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise InputError(f"importing it failed: {_describe_exception(exc)}", path) from None
    return module


def _describe_exception(exc: BaseException) -> str:
    """``Type: message (file:line)`` of the innermost frame: enough to find the bug, in one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}{where}"


def description(obj: Any) -> str:
    """One line about an adapter class: its ``description``, else the first line of its docstring."""
    text = getattr(obj, "description", "") or (inspect.getdoc(obj) or "")
    return text.strip().splitlines()[0] if text.strip() else ""


def describe_all() -> List[Tuple[AdapterEntry, str]]:
    """Every named adapter with its one-line description (or why it cannot be loaded here)."""
    out = []
    for entry in available():
        try:
            out.append((entry, description(load_class(entry))))
        except InputError as exc:
            out.append((entry, f"(unavailable: {exc})"))
    return out


def create(spec: str) -> Tuple[str, Any]:
    """(name, instance) of the adapter ``spec`` names: a registry name, file.py:Class or module:Class."""
    entry = find(spec)
    cls = load_class(entry)
    if not inspect.isclass(cls) or not callable(getattr(cls, "predict", None)):
        raise InputError(f"{entry.target} is not an adapter (a class with a predict(batch) method)",
                         field="ADAPTER")
    try:
        adapter = cls()
    except Exception as exc:
        raise InputError(f"creating adapter {entry.name} failed: {_describe_exception(exc)}",
                         field="ADAPTER") from None
    if entry.origin in ("file", "module"):
        return getattr(adapter, "name", "") or type(adapter).__name__, adapter
    return entry.name, adapter


def parse_options(pairs: Sequence[str]) -> Dict[str, Any]:
    """``["key=value", ...]`` -> dict. A value that reads as JSON (numbers, true/false, null, lists) is
    parsed; anything else stays a string (paths, names)."""
    options: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise InputError(f"expected key=value with a Python identifier as key, got {pair!r}", field="--opt")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def setup(name: str, adapter: Any, device: str, options: Dict[str, Any]) -> None:
    """Call ``adapter.setup(device, **options)``, refusing options its signature does not take."""
    hook = getattr(adapter, "setup", None)
    if hook is None:
        if options:
            raise InputError(f"adapter {name} has no setup() and takes no options, got {', '.join(options)}",
                             field="--opt")
        return
    signature = inspect.signature(hook)
    try:
        signature.bind(device, **options)
    except TypeError:
        params = [p.name for p in list(signature.parameters.values())[1:] if p.kind != p.VAR_KEYWORD]
        takes = f"it takes: {', '.join(params)}" if params else "it takes none"
        raise InputError(f"adapter {name} does not take the option(s) {', '.join(sorted(options))} ({takes})",
                         field="--opt") from None
    try:
        hook(device, **options)
    except Exception as exc:
        raise InputError(f"adapter {name}: setup failed: {_describe_exception(exc)}", field="--opt") from None
