"""Loading models: lazily, once per checkpoint, thread-safe, shared by tabs, within a memory budget (LRU by bytes).

`resolve` decides where a task's model comes from (Hub, offline pack, local folder, SageMaker
endpoint) without loading anything; `get` loads it, or returns the copy already in memory.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import math
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import config
import state
from models import limits, offline, remote, snippets
from models.errors import InputError, ModelUnavailable
from models.registry import REGISTRY, REVISIONS, TOKENIZERS, spec

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]  # (fraction done, what is happening)
SAGEMAKER_PREFIX = remote.SAGEMAKER_PREFIX
LOW_MEMORY_BYTES = 1 << 30  # below 1 GiB available, free the least recently used models first
HUB_PROBE_TIMEOUT_S = 3.0  # one HEAD of a config.json: a Hub that has not answered by then counts as down
HUB_RETRY_S = 60.0  # a Hub (or checkpoint) that did not answer is asked again after this long, not before
# Never convert a checkpoint without safetensors mid-request: given a Hub id, transformers would call an external
# conversion service (and wait on it). The app loads from the downloaded snapshot (models.download, safetensors
# only), so this is a second lock on the same door: transformers reads it on every call.
os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"


@dataclass(frozen=True)
class Resolved:
    """Where a task's model comes from, decided without loading it."""

    task: str
    choice: str  # what the user or operator picked: a Hub id, a folder, or sagemaker:NAME
    location: str  # what is loaded: a Hub id, a folder path, or an endpoint name
    source: str  # "hub" | "offline" | "local" | "sagemaker" | "session" (trained in this app)
    model_class: str
    demo_weights: bool = False
    offline_entry: str | None = None
    revision: str | None = None  # the Hub revision loaded: the registry's pin (REVISIONS, refs/pr/N); None: main

    @property
    def label(self) -> str:
        """The model's name as the UI shows it."""
        if self.source == "offline":
            return f"offline stand-in for {self.choice}: {offline.ENTRIES[self.offline_entry].description}"
        return self.choice

    @property
    def location_for_code(self) -> str:
        """What `from_pretrained` takes in a snippet: the Hub id, or the folder on this machine."""
        if self.source == "offline":
            return str(offline.entry_path(self.offline_entry))
        if self.source == "session":  # the folder the user saves their own copy to (the app's is not theirs)
            return MY_MODEL_FOLDER
        return self.location

    @property
    def device(self) -> str:
        """Where the model runs: "cuda" or "cpu" (`device()`); a remote endpoint's is none of this machine's."""
        return device() if self.source in ("hub", "local", "offline", "session") else "cpu"

    @property
    def dtype(self) -> str:
        """The weights' dtype under Settings.dtype: "auto" gives the task's fast dtype where the device computes
        it natively (else float32); "float32" and "bfloat16" apply to every model loaded here."""
        if self.source not in ("hub", "local", "offline"):
            return "float32"
        settings = config.current()
        if settings.dtype != "auto":
            return settings.dtype
        fast = spec(self.task).fast_dtype
        return fast if fast and fast in native_dtypes() else "float32"

    @property
    def cache_key(self) -> tuple[str, str, str, str, str | None]:
        return (self.location, self.model_class, self.dtype, self.device, self.revision)

    @property
    def load_kwargs(self) -> dict[str, str]:
        """What from_pretrained gets for the model besides its folder: the dtype (float32 too: transformers' own
        default is the checkpoint's dtype) and eager attention where wanted. The revision is the folder's own:
        the download fetched that snapshot."""
        kwargs = {"dtype": self.dtype}
        if wants_eager(self):
            kwargs["attn_implementation"] = "eager"
        return kwargs

    @property
    def revision_kwargs(self) -> dict[str, str]:
        """{"revision": ...} where the registry pins one: what a snippet, loading from the Hub id, must name."""
        return {"revision": self.revision} if self.revision else {}

    def snippet_kwargs(self) -> dict[str, Any]:
        """The model's from_pretrained arguments a snippet names: revision, dtype (but float32) and attention."""
        # float32 is left out of snippets: every registry checkpoint stores float32, which is what
        # transformers' default (dtype="auto": the checkpoint's own) then loads.
        shown = {key: value for key, value in self.load_kwargs.items() if (key, value) != ("dtype", "float32")}
        return {**self.revision_kwargs, **shown}

    @property
    def from_pretrained_args(self) -> str:
        """A snippet's extra model from_pretrained arguments, as the app loads it,
        e.g. ", revision='refs/pr/18', dtype='bfloat16'"."""
        return snippets.arguments(self.snippet_kwargs())

    @property
    def tokenizer_args(self) -> str:
        """A snippet's extra AutoTokenizer.from_pretrained arguments: the pinned revision, if any."""
        return snippets.arguments(self.revision_kwargs)

    @property
    def device_kwargs(self) -> dict[str, str]:
        """{"device": ...} where the model runs on another device than the CPU (what pipeline() and the snippets
        that load a model name; the CPU, transformers' default, is left out like float32)."""
        return {"device": self.device} if self.device != "cpu" else {}

    @property
    def pipeline_args(self) -> str:
        """A snippet's extra pipeline(...) arguments: revision and dtype as for the model, and its device; eager
        attention is the model's, so it goes through model_kwargs."""
        kwargs = self.snippet_kwargs()
        if "attn_implementation" in kwargs:
            kwargs["model_kwargs"] = {"attn_implementation": kwargs.pop("attn_implementation")}
        return snippets.arguments({**kwargs, **self.device_kwargs})

    def load_code(self, auto_class: str, note: str = "") -> str:
        """Show code's lines that load this model and its tokenizer exactly as the app does."""
        return snippets.load(auto_class, self.location_for_code, note, self.revision_kwargs, self.device,
                             **self.snippet_kwargs())

    def training_load_code(self, auto_class: str) -> str:
        """Show code's lines that load a fresh trainable copy as the labs do: float32, the pinned revision, on the
        device."""
        return snippets.load(auto_class, self.location_for_code, "", self.revision_kwargs, self.device,
                             **self.revision_kwargs)


@dataclass
class Loaded:
    """A model in memory with its tokenizer; pipelines built on it are cached here too."""

    resolved: Resolved
    model: Any
    tokenizer: Any
    nbytes: int
    remote: Any = None  # a models.remote.RemoteModel (a SageMaker endpoint), called like a pipeline
    _pipelines: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self, name: str, **kwargs: Any) -> Callable:
        """A transformers pipeline on this model (or the remote endpoint, which takes the same calls)."""
        if self.remote is not None:  # the endpoint takes pipeline arguments as call parameters
            return functools.partial(self.remote, **kwargs) if kwargs else self.remote
        key = (name, tuple(sorted(kwargs.items())))
        with self._lock:
            if key not in self._pipelines:
                pipeline = transformers_attr("pipeline")  # under the import lock: see transformers_attr
                self._pipelines[key] = pipeline(  # on the model's own device: pipeline() would move it
                    name, model=self.model, tokenizer=self.tokenizer, device=self.model.device, **kwargs
                )
            return self._pipelines[key]


# ---- resolving: which checkpoint, from where --------------------------------------------------

def choices(task: str) -> list[str]:
    """The models a user may pick for a task: the operator's override first, then the registry's."""
    override = config.current().model_overrides.get(task)
    listed = list(spec(task).checkpoints)
    options = [override] + [c for c in listed if c != override] if override else listed
    return options + [MY_MODEL] if task in MY_MODEL_TASKS else options


def chosen(task: str, choice: str | None = None) -> str:
    """The user's pick checked against the task's choices ("" or None: the default); asks the Hub nothing."""
    options = choices(task)
    choice = (choice or "").strip() or options[0]
    if choice not in options:
        raise InputError(f"Unknown model {choice!r} for {spec(task).title}. Pick one of: {', '.join(options)}.")
    return choice


def resolve(task: str, choice: str | None = None) -> Resolved:
    """Decide where `task`'s model comes from under the current profile; loads nothing."""
    choice = chosen(task, choice)
    task_spec = spec(task)
    if choice == MY_MODEL:
        mine = state.session_models.get((task, my_model_owner()))
        location = str(mine.resolved.location) if mine else f"session:{task}"
        return Resolved(task, choice, location, "session", task_spec.model_class)
    if choice.startswith(SAGEMAKER_PREFIX):
        return Resolved(task, choice, choice.removeprefix(SAGEMAKER_PREFIX), "sagemaker", task_spec.model_class)
    if _is_local_path(choice):
        return Resolved(task, choice, str(Path(choice).expanduser().resolve()), "local", task_spec.model_class)
    profile = config.current().profile
    revision = REVISIONS.get(choice)
    if profile == "hub" or (profile == "auto" and _hub_available(choice, revision)):
        return Resolved(task, choice, choice, "hub", task_spec.model_class, revision=revision)
    entry = task_spec.offline
    return Resolved(task, choice, f"offline:{entry.name}", "offline", entry.model_class, entry.demo_weights,
                    entry.name)


def _is_local_path(choice: str) -> bool:
    return choice.startswith((".", "/", "~")) or os.path.isdir(os.path.expanduser(choice))


def _hub_available(hub_id: str, revision: str | None = None) -> bool:
    """A checkpoint is usable from the Hub when it is cached, or when the Hub (HF_ENDPOINT: its scheme, host and
    port, as huggingface_hub reads it) answers a HEAD of its config.json. A checkpoint the Hub did not serve,
    or a Hub that did not answer, is asked again after HUB_RETRY_S, not on every request in between."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url, try_to_load_from_cache
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(try_to_load_from_cache(hub_id, "config.json", revision=revision), str):
        return True
    if config.current().hub_offline:
        return False
    endpoint, key, now = constants.ENDPOINT, (constants.ENDPOINT, hub_id, revision or "main"), time.monotonic()
    with state.hub_probe_lock:  # one probe at a time: a Hub found down is not asked again by every waiting request
        with state.lock:
            answer = state.hub_answers.get(key)
            if answer is not None and (answer[0] or now - answer[1] < HUB_RETRY_S):
                return answer[0]
            if state.hub_down_until.get(endpoint, 0.0) > now:
                return False
        try:
            get_hf_file_metadata(hf_hub_url(hub_id, "config.json", revision=revision), timeout=HUB_PROBE_TIMEOUT_S)
            serves = True
        except HfHubHTTPError as exc:  # the Hub answered: no such repository, revision or file (or it refused)
            log.warning("the Hub does not serve %s@%s: %s", hub_id, revision or "main", exc)
            serves = False
        except Exception as exc:  # no answer at all (refused, unresolvable, timed out): the whole endpoint is down
            log.warning("the Hub at %s did not answer (%s); asking again in %.0f s", endpoint, exc, HUB_RETRY_S)
            with state.lock:
                state.hub_down_until[endpoint] = time.monotonic() + HUB_RETRY_S
            return False
        with state.lock:
            state.hub_answers[key] = (serves, time.monotonic())
        return serves


# ---- loading: once per checkpoint, room made before each load, LRU by bytes -------------------------

def get(task: str, choice: str | None = None, on_progress: ProgressCallback | None = None) -> Loaded:
    """The model for `task`, loaded on first use and shared with every task that uses it."""
    resolved = resolve(task, choice)
    if resolved.source == "session":
        return _session_model(task)
    key = resolved.cache_key
    with state.lock:
        if key in state.models:
            state.models.move_to_end(key)
            return state.models[key]
        load_lock = state.load_locks.setdefault(key, threading.Lock())
    with load_lock:  # one thread loads; the others wait and then share its result
        with state.lock:
            if key in state.models:
                return state.models[key]
        if on_progress:
            on_progress(0.0, f"Loading {resolved.label} (first use)")
        try:
            loaded = _load(resolved, key, on_progress)
        finally:
            with state.lock:
                state.loading.pop(key, None)
        with state.lock:
            state.models[key] = loaded
            _evict(keep=key)  # the estimate can be off: keep the budget once the real size is known
        if on_progress:
            on_progress(1.0, "Model ready")
        return loaded


def _load(resolved: Resolved, key: tuple, on_progress: ProgressCallback | None = None) -> Loaded:
    try:
        if resolved.source == "sagemaker":
            return Loaded(resolved, None, None, 0, remote=remote.connect(resolved.choice))
        path = local_folder(resolved, on_progress)  # a Hub checkpoint: its snapshot at the pinned revision
        # On disk now, not yet in memory: make room for it first (its size from the safetensors headers).
        estimate = estimate_bytes(path, resolved.dtype)
        with state.lock:
            _make_room(resolved, key, estimate)
        model = _load_model(resolved, path)
        tokenizer = _load_tokenizer(path)
    except (InputError, ModelUnavailable):
        raise
    except Exception as exc:  # any loading failure is this model's alone: say so, keep serving
        log.exception("loading %s failed", resolved.choice)
        raise ModelUnavailable(
            f"The model {resolved.label} could not be loaded ({_short(exc)}). "
            "The other tabs are unaffected; try again, or pick another model."
        ) from exc
    return Loaded(resolved, model, tokenizer, _nbytes(model))


def _no_safetensors(resolved: Resolved) -> ModelUnavailable:
    return ModelUnavailable(
        f"{resolved.location} has no safetensors weights, only pickled ones (pytorch_model.bin) or none, and this "
        "app loads safetensors only: unpickling can run code. Save the model with save_pretrained "
        "(safetensors is its default), or pick another model."
    )


def local_folder(resolved: Resolved, on_progress: ProgressCallback | None = None, weights: bool = True) -> str:
    """The folder on this machine that `resolved` loads from; a Hub checkpoint is downloaded first (at its pinned
    revision), with progress (weights=False: config and tokenizer only)."""
    if resolved.source == "offline":
        return str(offline.entry_path(resolved.offline_entry))
    if resolved.source == "hub":
        from models import download

        return str(download.fetch(resolved.location, resolved.revision, on_progress, weights=weights))
    if resolved.source == "local":
        folder = Path(resolved.location)
        if not (folder / "config.json").is_file():
            raise ModelUnavailable(f"{resolved.location} is not a model folder (no config.json). "
                                   "Pass a folder written by save_pretrained, or a Hub id.")
        if weights and not any(folder.glob("*.safetensors")):
            raise _no_safetensors(resolved)
    return resolved.location


def wants_eager(resolved: Resolved) -> bool:
    """Eager attention for every checkpoint that some task shows attentions of (SDPA returns none).

    Decided per checkpoint, not per task, so that the attention tab and the zero-shot tab share
    one copy of the same encoder.
    """
    for task_spec in REGISTRY.values():
        if task_spec.eager_attention and task_spec.model_class == resolved.model_class:
            if resolved.source == "offline" and task_spec.offline.name == resolved.offline_entry:
                return True
            if resolved.source != "offline" and (
                resolved.task == task_spec.key or resolved.location in task_spec.checkpoints
            ):
                return True
    return False


def device() -> str:
    """Where the models loaded here run: "cuda" or "cpu" (Settings.device; "auto": the GPU where torch sees one)."""
    wanted = config.current().device
    if wanted != "auto":
        return wanted
    return "cuda" if config.cuda_available() else "cpu"


def native_dtypes() -> frozenset[str]:
    """Reduced-precision dtypes the device computes natively: a GPU's bf16 (Ampere or newer), the CPU's
    (Settings.native_bf16: /proc/cpuinfo, or forced).

    A GPU without bf16 (a T4, a V100) gets float32, not float16: fp16's range (±65,504) overflows in some of
    these models' activations (T5's are known to: inf, then NaN), and they are small enough that float32 on a GPU
    is already fast.
    """
    if device() == "cuda":
        return frozenset({"bfloat16"}) if config.cuda_bf16() else frozenset()
    return frozenset({"bfloat16"}) if config.current().native_bf16 else frozenset()


def transformers_attr(name: str) -> Any:
    """A transformers class by name, e.g. "AutoModelForSeq2SeqLM".

    transformers is a lazy module: its first imports, made from two threads at once (two tabs loading their
    models on a fresh server), can hand one thread a half-imported module, and that thread then fails with
    "module 'transformers' has no attribute ...". Taking the classes under one lock makes those imports happen
    once, in one thread at a time.
    """
    with state.import_lock:
        import transformers

        return getattr(transformers, name)


def _load_model(resolved: Resolved, path: str):
    import torch

    kwargs: dict[str, Any] = dict(resolved.load_kwargs)
    dtype = getattr(torch, kwargs.pop("dtype"))  # cast once at load: bf16 halves memory and bandwidth
    auto_class = transformers_attr(resolved.model_class)
    files = _weight_files(path)
    with state.build_lock:  # see state.build_lock: concurrent builds can leave weights on the meta device
        if dtype != torch.float32 and files:
            model = _load_cast(auto_class, path, files, dtype, kwargs)
        else:  # safetensors only and no remote code: a checkpoint cannot run code on this machine
            model = auto_class.from_pretrained(path, use_safetensors=True, trust_remote_code=False, dtype=dtype,
                                               **kwargs)
    return model.to(resolved.device).eval()  # the GPU where there is one (a no-op on the CPU)


def _weight_files(folder: str) -> list[Path]:
    """The safetensors files from_pretrained reads in `folder`: the index's shards, or model.safetensors."""
    index = Path(folder) / "model.safetensors.index.json"
    if index.is_file():
        return [Path(folder) / name for name in sorted(set(json.loads(index.read_text())["weight_map"].values()))]
    single = Path(folder) / "model.safetensors"
    return [single] if single.is_file() else []


def _load_cast(auto_class: Any, path: str, files: list[Path], dtype: Any, kwargs: dict[str, Any]):
    """The model with its weights read straight into `dtype`, never all of them as stored.

    from_pretrained(path, dtype=bf16) maps the float32 files into memory and casts from there: every float32 page
    it reads counts in the process's memory until the load ends, so the peak is the float32 weights plus the bf16
    ones (GPT-2 small: +810 MB for 237 MB of weights). Here each tensor is read with plain reads (safetensors'
    pread backend) and cast before the next is read (+403 MB at peak: the bf16 weights, the largest tensor as
    stored, transformers' own); the model is then built from that state dict by the same from_pretrained (key
    renames, tied weights, missing-key checks), and its generation settings come from the folder as they would
    (tests/models/test_loader_dtype.py checks the result equals the plain load, tensor for tensor).
    """
    from safetensors import safe_open

    weights: dict[str, Any] = {}
    for file in files:
        with safe_open(str(file), framework="pt", device="cpu", backend="pread") as handle:
            for key in handle.keys():
                # One tensor as stored at a time (the largest: GPT-2's token embedding, 154 MB in float32), then
                # cast. (safetensors' slices read the whole tensor each time: reading in pieces cost 0.5 s a piece.)
                tensor = handle.get_tensor(key)
                weights[key] = tensor.to(dtype) if tensor.is_floating_point() else tensor
    config = transformers_attr("AutoConfig").from_pretrained(path, trust_remote_code=False)
    # The Auto class's concrete class for this config, as Auto*.from_pretrained picks it (it takes no state dict).
    model = auto_class._model_mapping[type(config)].from_pretrained(
        None, config=config, state_dict=weights, dtype=dtype, use_safetensors=True, **kwargs)
    model.config.name_or_path = path  # from_pretrained(None, ...) records "None"
    if model.can_generate() and (Path(path) / "generation_config.json").is_file():
        model.generation_config = transformers_attr("GenerationConfig").from_pretrained(path)
    return model


def _load_tokenizer(path: str):
    return transformers_attr("AutoTokenizer").from_pretrained(path, trust_remote_code=False)


def _nbytes(model) -> int:
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _available_memory() -> int:
    import psutil

    return psutil.virtual_memory().available


# ---- memory: the size of a checkpoint before it loads, room made for it -----------------------

# Bytes per element of each safetensors dtype; the floating ones are stored in the dtype the loader casts to.
_ELEMENT_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
_FLOATS = {"F64", "F32", "F16", "BF16"}


def _weights_bytes(elements: dict[str, int], dtype: str) -> int:
    """Bytes in memory of tensors counted by safetensors dtype ({"F32": n, ...}) once loaded as `dtype`."""
    size = 2 if dtype == "bfloat16" else 4
    return sum(n * (size if kind in _FLOATS else _ELEMENT_BYTES.get(kind, 4)) for kind, n in elements.items())


def _safetensors_elements(files: list[Path]) -> dict[str, int]:
    """Elements per dtype in safetensors files, read from their headers alone (8-byte length, then JSON)."""
    elements: dict[str, int] = {}
    for path in files:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, tensor in header.items():
            if name != "__metadata__":
                elements[tensor["dtype"]] = elements.get(tensor["dtype"], 0) + math.prod(tensor["shape"])
    return elements


def estimate_bytes(folder: str, dtype: str) -> int | None:
    """The size in memory of the model in `folder` once loaded as `dtype`, from its safetensors headers alone
    (a few KB read, no weights); None without safetensors files there."""
    files = sorted(Path(folder).glob("*.safetensors"))
    return _weights_bytes(_safetensors_elements(files), dtype) if files else None


def _make_room(resolved: Resolved, key: tuple, estimate: int | None) -> None:
    """Free least recently used models until `estimate` more bytes fit the budget and the machine's free memory,
    and reserve them for this load (state lock held). A model larger than the whole budget is refused."""
    if not estimate:
        return
    budget = config.current().memory_budget_mb << 20
    if estimate > budget:
        raise ModelUnavailable(
            f"The model {resolved.label} needs about {estimate >> 20:,} MB of memory, more than this server keeps "
            f"for models ({budget >> 20:,} MB: PLAYGROUND_MEMORY_BUDGET_MB, by default a share of the machine's "
            "memory). Pick a smaller model; an operator can raise the budget on a machine with more memory."
        )
    state.loading[key] = estimate
    while state.models:
        reserved = sum(state.loading.values())  # this load and any other in progress
        in_memory = sum(item.nbytes for item in state.models.values())
        if in_memory + reserved <= budget and _available_memory() - reserved > LOW_MEMORY_BYTES:
            return
        _free_oldest()


def _free_oldest(keep: tuple | None = None) -> None:
    oldest = next(k for k in state.models if k != keep)
    log.info("freeing %s (%d MB)", oldest[0], state.models[oldest].nbytes >> 20)
    del state.models[oldest]
    gc.collect()


def _evict(keep: tuple) -> None:
    """Free least recently used models while over the byte budget or short of memory (state lock held)."""
    budget = config.current().memory_budget_mb << 20
    while len(state.models) > 1:
        total = sum(item.nbytes for item in state.models.values())
        if total <= budget and _available_memory() > LOW_MEMORY_BYTES:
            return
        _free_oldest(keep)


# ---- the tokenizer explorer's tokenizers -----------------------------------------------------

def tokenizer_source(name: str) -> tuple[str, str]:
    """Where an explorer tokenizer comes from, decided without loading: (Hub id or folder, "hub"|"offline")."""
    if name not in TOKENIZERS:
        raise InputError(f"Unknown tokenizer {name!r}. Pick one of: {', '.join(TOKENIZERS)}.")
    tokenizer_spec = TOKENIZERS[name]
    profile = config.current().profile
    revision = REVISIONS.get(tokenizer_spec.hub_id)
    if profile == "hub" or (profile == "auto" and _hub_available(tokenizer_spec.hub_id, revision)):
        return tokenizer_spec.hub_id, "hub"
    return str(offline.entry_path(tokenizer_spec.offline.name)), "offline"


def tokenizer(name: str) -> tuple[Any, str]:
    """A tokenizer the explorer offers, and where it came from ("hub" or "offline"); cached."""
    location, source = tokenizer_source(name)
    key = f"{source}:{name}"
    with state.lock:
        if key in state.tokenizers:
            return state.tokenizers[key], source
    try:
        if source == "hub":
            from models import download

            location = str(download.fetch(location, REVISIONS.get(location), weights=False))
        loaded = _load_tokenizer(location)
    except Exception as exc:
        raise ModelUnavailable(f"The {name} tokenizer could not be loaded ({_short(exc)}).") from exc
    with state.lock:
        state.tokenizers[key] = loaded
    return loaded, source


def in_memory() -> list[tuple[str, int]]:
    """(location, bytes) of every model in memory, least recently used first."""
    with state.lock:
        return [(key[0], item.nbytes) for key, item in state.models.items()]


def clear() -> None:
    """Forget every loaded model (tests, and after the offline pack is rebuilt); state.reset() forgets all."""
    with state.lock:
        state.models.clear()
        state.tokenizers.clear()
        state.session_models.clear()
    gc.collect()


# ---- models trained in this app (the fine-tuning lab) -----------------------------------------

MY_MODEL = "My model (fine-tuning lab)"
# Pickers that list MY_MODEL from start-up: a dropdown only accepts choices it was built with,
# so a choice that appeared later would be refused to API callers and to pages already open.
MY_MODEL_TASKS = ("sentiment",)
MY_MODEL_FOLDER = "my-model"  # Show code's folder for a MY_MODEL: the user's own save_pretrained target


def my_model_owner() -> str:
    """Whose MY_MODEL a request sees: its session's (state.owner), or everyone's one ("") when the operator
    shares it (Settings.shared_my_model)."""
    return "" if config.current().shared_my_model else state.owner.get()


def register_session_model(task: str, model: Any, tokenizer: Any, folder: Path) -> list[Path]:
    """Serve `model` as the MY_MODEL choice of `task` for this request's owner (my_model_owner) from now on;
    `folder` holds its save_pretrained copy. Keeps limits.MY_MODELS_KEPT models, the least recently used dropped
    first; returns the folders of those dropped (the caller deletes them)."""
    if task not in MY_MODEL_TASKS:
        raise KeyError(f"{task!r} offers no {MY_MODEL!r} choice; known: {', '.join(MY_MODEL_TASKS)}")
    resolved = Resolved(task, MY_MODEL, str(folder), "session", spec(task).model_class)
    key = (task, my_model_owner())
    dropped = []
    with state.lock:
        state.session_models[key] = Loaded(resolved, model.eval(), tokenizer, _nbytes(model))
        state.session_models.move_to_end(key)
        while len(state.session_models) > limits.MY_MODELS_KEPT:
            _, old = state.session_models.popitem(last=False)
            dropped.append(Path(old.resolved.location))
    return [path for path in dropped if path != Path(folder)]


def _session_model(task: str) -> Loaded:
    key = (task, my_model_owner())
    with state.lock:
        if key in state.session_models:
            state.session_models.move_to_end(key)
            return state.session_models[key]
    whose = "in this app" if key[1] == "" else "in this session (each browser tab or API client has its own)"
    raise InputError(f"No model has been fine-tuned {whose} yet. Train one in the Fine-tuning lab tab, then pick "
                     f"{MY_MODEL!r} again (or pick another model). The app keeps the {limits.MY_MODELS_KEPT} most "
                     "recently used.")
