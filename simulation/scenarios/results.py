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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import LoadError
from simulation.loading import load_json

MANIFEST = "manifest.json"


class ResultsError(LoadError):
    """A results folder that cannot be written or read; names the folder or file, the field
    (manifest key or table) and the value."""

    def __init__(self, source: str | Path, location: str, value: Any, expected: str,
                 kind: str | None = None) -> None:
        super().__init__([(str(source), location, value, expected)], kind=kind)


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
        raise ResultsError(final, "-", None, "a result with this run id exists; results are never "
                           "overwritten")
    tmp = root / f".tmp-{run_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        names = []
        shapes: dict[str, dict[str, Any]] = {}
        for name, table in tables.items():
            if not isinstance(table, pd.DataFrame):
                raise ResultsError(final, f"table {name!r}", type(table).__name__,
                                   "expected a DataFrame")
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            names.append(name)
            shapes[name] = {"rows": len(table), "columns": [str(c) for c in table.columns],
                            "sha256": file_hash(tmp / f"{name}.parquet")}
        full = {**base_manifest(), **dict(manifest), "run_id": run_id, "tables": names,
                "table_files": shapes}
        with (tmp / MANIFEST).open("w", encoding="utf-8") as fh:
            json.dump(full, fh, ensure_ascii=False, indent=2, default=_json_default)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, final)  # atomic on one filesystem
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_results(path: str | Path, require: Sequence[str] = ()) -> StoredResults:
    """Read a stored run: every table listed in its manifest, checked against the manifest.

    The manifest must be a JSON mapping whose ``tables`` is a list of names; each table must be
    present and readable, and (for results written since the manifest records them) have the rows,
    columns and SHA-256 the manifest records; a ``.parquet`` file the manifest does not list is
    refused too. ``require`` names tables the caller needs. Every failure is a `ResultsError`
    naming the folder or file, the field and the value.
    """
    path = Path(path)
    mfile = path / MANIFEST
    if not path.is_dir():
        raise ResultsError(path, "-", None, "no such results folder", kind="missing")
    if not mfile.is_file():
        raise ResultsError(path, MANIFEST, None, "missing; not a results folder (or an unfinished "
                           "run)", kind="missing")
    try:
        manifest = load_json(mfile, "results manifest", expect=dict)
    except LoadError as exc:
        raise ResultsError(*exc.problems[0], kind=exc.kind) from None
    names = manifest.get("tables")
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ResultsError(mfile, "tables", names, "expected a list of table names", kind="type")
    shapes = manifest.get("table_files", {})
    if not isinstance(shapes, dict):
        raise ResultsError(mfile, "table_files", shapes, "expected a mapping table -> facts",
                           kind="type")
    extra = sorted(p.stem for p in path.glob("*.parquet") if p.stem not in names)
    if extra:
        raise ResultsError(path / f"{extra[0]}.parquet", f"{MANIFEST} tables", extra[0], "a table the manifest "
                           "does not list (the folder and manifest do not match)")
    for name in require:
        if name not in names:
            raise ResultsError(mfile, "tables", name, "this table is needed but the run has none",
                               kind="missing")
    tables = {}
    for name in names:
        f = path / f"{name}.parquet"
        if not f.is_file():
            raise ResultsError(f, f"{MANIFEST} tables", name, "table listed in the manifest is missing",
                               kind="missing")
        facts = shapes.get(name)
        if facts is not None and not (
                isinstance(facts, dict) and isinstance(facts.get("rows"), int)
                and isinstance(facts.get("columns"), list) and isinstance(facts.get("sha256"), str)):
            raise ResultsError(mfile, f"table_files.{name}", facts,
                               "expected {rows: number, columns: [names], sha256: text}",
                               kind="type")
        if facts is not None and facts["sha256"] != file_hash(f):
            raise ResultsError(f, "sha256", facts.get("sha256"), "the table's bytes differ from "
                               "the manifest's record (changed or damaged after writing)")
        try:
            table = pd.read_parquet(f)
        except Exception as exc:  # pyarrow raises several types for damaged files
            raise ResultsError(f, "-", None, f"not a readable Parquet table: {exc}",
                               kind="encoding") from None
        if facts is not None:
            if facts["rows"] != len(table):
                raise ResultsError(f, "rows", len(table), f"the manifest records {facts['rows']}")
            if facts["columns"] != [str(c) for c in table.columns]:
                raise ResultsError(f, "columns", list(table.columns),
                                   f"the manifest records {facts['columns']}")
        tables[name] = table
    return StoredResults(path, tables, manifest)


def list_results(root: str | Path) -> list[Path]:
    """Finished result folders under root, oldest first (temporary folders are skipped)."""
    root = Path(root)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()]
    return sorted(runs, key=lambda p: p.stat().st_mtime)
