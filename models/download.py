"""Hub checkpoints onto this machine: only what from_pretrained needs, safetensors only, with download progress.

A first use on a Space downloads hundreds of MB; `fetch` reports it through the loader's (fraction, message)
callback ("Downloading model.safetensors: 120 of 498 MB") and returns the local snapshot folder that the model
and tokenizer then load from. What it fetches: config, safetensors weights (never pytorch_model.bin: unpickling
can run code) and tokenizer files, at the revision asked for (main by default). A cached, complete snapshot
makes no request at all (so a branch that moved on the Hub is seen only once the cache is cleared: pinned
revisions make that moot); with HF_HUB_OFFLINE set nothing is asked of the Hub. A checkpoint without safetensors
fails fast with a message that says what to pin: no conversion service is ever called.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelUnavailable
from models.loader import ProgressCallback

WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "model-*-of-*.safetensors")
CONFIGS = ("config.json", "generation_config.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "vocab.txt", "vocab.json", "merges.txt", "spiece.model", "source.spm", "target.spm",
                   "sentencepiece.bpe.model", "tokenizer.model", "chat_template.jinja")
# The pull requests the Hub's conversion bot opens; transformers 5 takes one only when opened on main's head.
CONVERSION_TITLE = "Adding `safetensors` variant of this model"
CONVERSION_BOT = "SFconvertbot"
MB = 1 << 20


@dataclass(frozen=True)
class Plan:
    """What to fetch: the revision (as asked, or the conversion PR found for main), its commit, files and sizes."""

    revision: str
    commit: str
    sizes: dict[str, int]


def patterns(weights: bool = True) -> list[str]:
    """The file patterns fetched: configs and tokenizer files, and the safetensors weights unless weights=False."""
    return [*CONFIGS, *TOKENIZER_FILES, *(WEIGHTS if weights else ())]


def fetch(hub_id: str, revision: str | None = None, on_progress: ProgressCallback | None = None,
          weights: bool = True) -> Path:
    """The local folder holding `hub_id` at `revision` (main when None), downloading what is not cached yet.

    revision=None also finds the Hub's safetensors conversion PR when main has only pytorch_model.bin and the PR
    was opened on main's current head (as transformers does); a pinned revision is taken as is.
    """
    from huggingface_hub import constants

    asked = revision or "main"
    folder = _cached(hub_id, asked, weights, sealed=not constants.HF_HUB_OFFLINE)
    if folder is not None:
        return folder
    if constants.HF_HUB_OFFLINE:
        raise ModelUnavailable(f"{hub_id} (revision {asked}) is not in this machine's Hugging Face cache and "
                               "HF_HUB_OFFLINE is set, so it cannot be downloaded. Unset HF_HUB_OFFLINE, or pick "
                               "another model.")
    try:
        plan = _plan(hub_id, revision, weights)
        _download(hub_id, plan, on_progress)
        return _seal(hub_id, plan)
    except ModelUnavailable:
        raise
    except Exception as exc:
        raise ModelUnavailable(_explain(hub_id, asked, exc)) from exc


def _cached(hub_id: str, revision: str, weights: bool, sealed: bool) -> Path | None:
    """The cached snapshot of `revision`, if complete, found without any request; None when it is not.

    "Complete" is judged from the file listing huggingface_hub keeps per commit; a snapshot without one (files
    fetched some other way) is trusted only when nothing can be asked (sealed=False: offline).
    """
    from huggingface_hub import get_cached_repo_tree, snapshot_download
    from huggingface_hub.errors import CachedRepoTreeNotFoundError, LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(hub_id, revision=revision, allow_patterns=patterns(weights),
                                        local_files_only=True))
        if sealed:
            get_cached_repo_tree(hub_id, revision=revision)
    except (LocalEntryNotFoundError, CachedRepoTreeNotFoundError):  # incomplete snapshots are the former
        return None
    if not (folder / "config.json").is_file():
        return None
    if weights and not any(fnmatch.filter((p.name for p in folder.iterdir()), w) for w in WEIGHTS):
        return None
    return folder


def _plan(hub_id: str, revision: str | None, weights: bool) -> Plan:
    from huggingface_hub import HfApi, constants

    api = HfApi()
    asked = revision or "main"
    # The first request has a timeout (HF_HUB_ETAG_TIMEOUT, 10 s): a Hub that stalls fails the load, not hangs it.
    info = api.model_info(hub_id, revision=asked, files_metadata=True, timeout=constants.HF_HUB_ETAG_TIMEOUT)
    sizes = {s.rfilename: s.size or 0 for s in info.siblings or []
             if any(fnmatch.fnmatch(s.rfilename, p) for p in patterns(weights))}
    if weights and not any(fnmatch.filter(sizes, w) for w in WEIGHTS):
        pull = _conversion_pull(api, hub_id) if revision is None else None
        if pull is None:
            raise ModelUnavailable(_no_safetensors(api, hub_id, asked, info))
        return _plan(hub_id, pull, weights)
    return Plan(asked, info.sha, sizes)


def _conversion_pull(api, hub_id: str) -> str | None:
    """refs/pr/N of an open conversion-bot PR opened on main's head: what transformers 5 would load, if any."""
    head = api.list_repo_commits(hub_id)[0].commit_id
    for pull in _conversion_pulls(api, hub_id):
        history = api.list_repo_commits(hub_id, revision=pull)
        if len(history) > 1 and history[1].commit_id == head:  # its parent is today's main
            return pull
    return None


def _conversion_pulls(api, hub_id: str) -> list[str]:
    """refs/pr/N of every open conversion-bot PR, newest first."""
    return [d.git_reference for d in api.get_repo_discussions(hub_id, discussion_type="pull_request",
                                                               discussion_status="open")
            if d.title == CONVERSION_TITLE and d.author == CONVERSION_BOT]


def _no_safetensors(api, hub_id: str, revision: str, info) -> str:
    found = ", ".join(s.rfilename for s in info.siblings or [] if s.rfilename.endswith((".bin", ".h5", ".msgpack")))
    advice = "Pick another model."
    if revision == "main":
        pulls = _conversion_pulls(api, hub_id)
        if pulls:  # they exist, but were opened on an older main: transformers would call a conversion service
            advice = (f"Its safetensors live only in {', '.join(pulls)} (the Hub's conversion pull request, opened "
                      "on an older main): pin that revision for this model, or pick another model.")
    return (f"{hub_id} has no safetensors weights at revision {revision} (only {found or 'other formats'}), and "
            f"this app loads safetensors only: other weight files can run code when loaded. {advice}")


class _Progress:
    """One file's progress, driven as huggingface_hub drives a tqdm_class (made per file, then update(n))."""

    def __init__(self, name: str, before: int, overall: int, on_progress: ProgressCallback | None, **bar) -> None:
        self.name, self.before, self.overall, self.on_progress = name, before, max(overall, 1), on_progress
        self.size = int(bar.get("total") or 0)  # huggingface_hub passes the file's total and initial (resumed) bytes
        self.done = int(bar.get("initial") or 0)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int | float | None = 1) -> None:
        self.done += int(n or 0)
        if self.on_progress:
            self.on_progress(min((self.before + self.done) / self.overall, 1.0),
                             f"Downloading {self.name}: {amount(self.done, self.size)}")

    def close(self) -> None:
        """Nothing to release (tqdm's interface)."""


def amount(done: int, size: int) -> str:
    """"120 of 498 MB"; kB below a megabyte (tokenizer files), one decimal below ten units."""
    unit, scale = ("MB", MB) if size >= MB else ("kB", 1024)
    digits = 0 if size >= 10 * scale else 1
    return f"{done / scale:.{digits}f} of {size / scale:.{digits}f} {unit}"


def _download(hub_id: str, plan: Plan, on_progress: ProgressCallback | None) -> None:
    """Each planned file, small ones first, into the Hugging Face cache (files already there are not fetched)."""
    from functools import partial

    from huggingface_hub import hf_hub_download

    total, before = sum(plan.sizes.values()), 0
    for name in sorted(plan.sizes, key=lambda n: (plan.sizes[n], n)):
        bar = partial(_Progress, name, before, total, on_progress)
        hf_hub_download(hub_id, name, revision=plan.commit, tqdm_class=bar)  # type: ignore[arg-type]
        before += plan.sizes[name]
    if on_progress:
        on_progress(1.0, f"Downloaded {hub_id} ({total / MB:.1f} MB); loading it")


def _seal(hub_id: str, plan: Plan) -> Path:
    """Record the revision's commit and file listing in the cache, so the next start finds it with no request."""
    from huggingface_hub import snapshot_download

    # Every planned file is in the cache already: this asks for the revision and the listing, downloads nothing.
    return Path(snapshot_download(hub_id, revision=plan.revision, allow_patterns=sorted(plan.sizes)))


def _explain(hub_id: str, revision: str, exc: Exception) -> str:
    """A message for a failed download that says what went wrong and what to do."""
    from huggingface_hub import constants
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(exc, GatedRepoError):
        return f"{hub_id} is gated on the Hub: accept its terms and set HF_TOKEN, or pick another model."
    if isinstance(exc, RepositoryNotFoundError):
        return f"{hub_id} was not found on the Hub at {constants.ENDPOINT}. Check the model id and HF_ENDPOINT."
    if isinstance(exc, RevisionNotFoundError):
        return f"{hub_id} has no revision {revision!r} on the Hub. Pin an existing branch, tag, PR or commit."
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return (f"{hub_id} could not be downloaded from {constants.ENDPOINT} ({detail}). It is not in the local cache; "
            "try again when the Hub is reachable, or pick another model.")
