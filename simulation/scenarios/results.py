"""Results people keep: Parquet tables plus a manifest, written atomically.

A run's results live in one folder ``<root>/<run_id>/`` holding ``<table>.parquet`` files and
``manifest.json`` (policy and reform content hashes, seeds, population, package version, date,
scenario file and its hash) so that every number can be traced and re-run. Writing goes to a
hidden temporary folder beside the target and is renamed into place only when every file is
written: a run that fails part-way leaves no half-written result and never touches earlier ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST = "manifest.json"


class ResultsError(ValueError):
    """A results folder that cannot be written or read; the message names the folder and file."""


@dataclass(frozen=True)
class StoredResults:
    """Tables and manifest of one stored run."""

    path: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]


def new_run_id(name: str, when: dt.datetime | None = None) -> str:
    """A folder name for a run: scenario name, UTC time to the second and a short random tag."""
    when = when or dt.datetime.now(dt.UTC)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "run"
    return f"{safe}-{when:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes (for the manifest)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def package_version() -> str:
    """The installed package's version (from its metadata; the source's when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("simulation")
    except metadata.PackageNotFoundError:
        text = (Path(__file__).resolve().parents[1] / "__init__.py").read_text(encoding="utf-8")
        return text.split('__version__ = "', 1)[1].split('"', 1)[0]


def base_manifest() -> dict[str, Any]:
    """Facts every manifest carries: package version and the UTC time of writing."""
    return {
        "package": "simulation",
        "package_version": package_version(),
        "written_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _json_default(obj: Any) -> Any:
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    raise TypeError(f"not JSON serialisable in a manifest: {type(obj).__name__}")


def write_results(
    root: str | Path,
    run_id: str,
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, Any],
) -> Path:
    """Write tables (Parquet) and the manifest into ``root/run_id`` atomically; return the folder.

    Raises ResultsError if ``root/run_id`` already exists (earlier results are never overwritten).
    On any error the temporary folder is removed and the exception re-raised.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / run_id
    if final.exists():
        raise ResultsError(f"{final}: a result with this run id exists; results are never overwritten")
    tmp = root / f".tmp-{run_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        names = []
        for name, table in tables.items():
            if not isinstance(table, pd.DataFrame):
                raise ResultsError(f"{final}: table {name!r} is a {type(table).__name__}, not a DataFrame")
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            names.append(name)
        full = {**base_manifest(), **dict(manifest), "run_id": run_id, "tables": names}
        with (tmp / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(full, fh, ensure_ascii=False, indent=2, default=_json_default)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, final)  # atomic on one filesystem
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_results(path: str | Path) -> StoredResults:
    """Read a stored run (every table listed in its manifest)."""
    path = Path(path)
    mfile = path / MANIFEST
    if not mfile.is_file():
        raise ResultsError(f"{path}: no {MANIFEST}; not a results folder (or an unfinished run)")
    with mfile.open(encoding="utf-8") as fh:
        manifest = json.load(fh)
    tables = {}
    for name in manifest.get("tables", []):
        f = path / f"{name}.parquet"
        if not f.is_file():
            raise ResultsError(f"{f}: table listed in the manifest is missing")
        tables[name] = pd.read_parquet(f)
    return StoredResults(path, tables, manifest)


def list_results(root: str | Path) -> list[Path]:
    """Finished result folders under root, oldest first (temporary folders are skipped)."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()]
    return sorted(runs, key=lambda p: p.stat().st_mtime)
