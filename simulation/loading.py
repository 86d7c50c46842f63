"""The one loading layer for user files: YAML, JSON, CSV and Excel, with guards.

Every file a user can hand the toolkit is read here, so that each guard exists once:

- size: a file above its kind's limit is refused before it is read;
- encoding: YAML and JSON are UTF-8 (with or without a BOM); a GBK/GB18030 or UTF-16 file is
  refused with the encoding to save in. A CSV table (often saved by Excel on Chinese Windows) may
  also be GBK/GB18030 or UTF-16 (with or without BOM); the encoding is detected and reported;
- YAML: syntax errors with line and column; empty or comment-only files and documents of the
  wrong type (a list where a mapping is expected); duplicate keys (PyYAML keeps the last silently);
  any tag other than the plain YAML types (``!!python/...`` is refused, never constructed);
  aliases whose expansion exceeds `MAX_YAML_NODES` values ("billion laughs"), refused before they
  are expanded; nesting deeper than `MAX_DEPTH`;
- tables: a directory or a 0-byte file, a header naming a column twice or leaving one blank, a row
  with more fields than the header, old binary ``.xls``.

Everything raises `simulation.errors.LoadError` (file, line/column or field, value, expected).
Dates in YAML stay strings (``2025-13-01`` is reported by the validator with its field, not turned
into a bare ``ValueError`` by PyYAML).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import yaml

from simulation.errors import LoadError, MissingFileError

#: Size limits in bytes. The largest shipped YAML file is ~60 KB; person tables reach ~150 MB
#: at a million households.
MAX_YAML_BYTES = 8 * 2**20
MAX_JSON_BYTES = 64 * 2**20
MAX_TABLE_BYTES = 2 * 2**30
#: Most values (scalars, lists, mappings) a YAML document may hold once its aliases are expanded;
#: the shipped files hold under 10,000. A "billion laughs" document is refused at this bound.
MAX_YAML_NODES = 200_000
#: Deepest nesting of lists and mappings in a YAML or JSON document (the shipped files: 6).
MAX_DEPTH = 50

#: Tags a socsim YAML file may carry (explicit or implied); anything else is refused.
_YAML_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map",
                                                  "seq", "merge", "timestamp")}
_SAVE_AS = "save it as UTF-8 (in Excel: 'CSV UTF-8'; in Notepad: encoding UTF-8)"


def _fail(source: str, location: str, value: Any, expected: str, kind: str) -> LoadError:
    return LoadError([(source, location, value, expected)], kind=kind)


def _type_name(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a text", int: "a number", float: "a number",
             bool: "true/false"}
    return names.get(type(value), type(value).__name__)


# --- bytes and text ------------------------------------------------------------------------------


def read_bytes(path: str | Path, what: str, limit: int) -> bytes:
    """The bytes of a file, refusing a missing file, a directory and a file above ``limit``."""
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise _fail(source, "-", None, f"is a folder; expected a {what} file", "missing")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MissingFileError([(source, "-", None, f"cannot read the {what}: "
                                 f"{exc.strerror or exc}")]) from None
    if size > limit:
        raise _fail(source, "-", size, f"{what} of {size:,} bytes is above the limit of "
                    f"{limit:,} bytes", "size")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MissingFileError([(source, "-", None, f"cannot read the {what}: "
                                 f"{exc.strerror or exc}")]) from None


def _line_col(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when most odd or even bytes are NUL (ASCII text in UTF-16)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * len(sample) / 2 and even == 0:
        return "utf-16-le"
    if even > 0.4 * len(sample) / 2 and odd == 0:
        return "utf-16-be"
    return None


def _check_control(text: str, data: bytes, source: str, encoding: str) -> None:
    """Refuse text holding control characters (binary data decoded by chance)."""
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise _fail(source, f"line {line}, column {col}", bad.group(),
                    f"control character in {encoding} text: binary data, not a text file",
                    "encoding")


def decode_text(data: bytes, source: str, *, legacy: bool) -> tuple[str, str]:
    """Decode a file's bytes; return (text, encoding name).

    UTF-8 with or without BOM always. With ``legacy`` (user tables), also UTF-16 (BOM or none)
    and GBK/GB18030; without it those are refused, naming the encoding to save in.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    utf16 = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf16 = "utf-16"
    elif not bom:
        utf16 = _utf16_without_bom(data)
    if utf16:
        if not legacy:
            raise _fail(source, "line 1, column 1", None, f"the file is UTF-16; {_SAVE_AS}",
                        "encoding")
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise _fail(source, f"byte {exc.start}", data[exc.start:exc.start + 4],
                        f"not valid UTF-16 ({exc.reason}); {_SAVE_AS}", "encoding") from None
        text = text.removeprefix("\ufeff")
        _check_control(text, data, source, "UTF-16")
        return text, "UTF-16"
    try:
        text = data.decode("utf-8")
        _check_control(text, data, source, "UTF-8")
        return text, "UTF-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    gb = None
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    if gb is not None and legacy:
        _check_control(gb, data, source, "GB18030")
        return gb, "GB18030"
    where = _line_col(data, first_bad)
    if gb is not None and re.search(r"[\u4e00-\u9fff]", gb):
        raise _fail(source, where, data[first_bad:first_bad + 2],
                    f"the file is GBK/GB18030 (Windows Chinese), not UTF-8; {_SAVE_AS}", "encoding")
    raise _fail(source, where, data[first_bad:first_bad + 4],
                "not UTF-8 text (nor GBK or UTF-16): a binary or damaged file; "
                + _SAVE_AS, "encoding")


# --- YAML --------------------------------------------------------------------------------------


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader (libyaml's parser when present) that keeps dates as strings and records
    duplicate keys instead of keeping the last one silently."""

    duplicates: list[tuple[str, int, int]]


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = key in out
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value, not {_type_name(key)}",
                key_node.start_mark) from None
        if seen:
            loader.duplicates.append((str(key), key_node.start_mark.line + 1,
                                      key_node.start_mark.column + 1))
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        _construct_mapping)  # type: ignore[arg-type]


def _mark(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse foreign tags, deep nesting, recursive aliases and alias expansion past the bound.

    Aliases are the same node object in the composed graph, so each node's expanded size is
    computed once (memoised): a billion-laughs document costs microseconds to refuse.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_YAML_NODES:
                raise _fail(source, _mark(node), None,
                            f"aliases (*name) expand to more than {MAX_YAML_NODES:,} values; "
                            "refused (a 'billion laughs' document?)", "alias")
            if depth[key] > MAX_DEPTH:
                raise _fail(source, _mark(node), None,
                            f"nested more than {MAX_DEPTH} levels deep", "syntax")
            continue
        if key in size:
            continue
        if key in on_path:
            raise _fail(source, _mark(node), None, "an alias refers to its own anchor "
                        "(a recursive document)", "alias")
        tag = node.tag or ""
        if tag not in _YAML_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _fail(source, _mark(node), shown,
                        "tags are not allowed (python/... tags are never run); "
                        "write plain values", "tag")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def parse_yaml(text: str, source: str, what: str = "file", expect: type | None = dict) -> Any:
    """Parse YAML text with every guard; raise `LoadError` naming ``source``, line and column.

    ``expect`` (dict, list or None for anything) is the type the document must have; an empty or
    comment-only document is an error unless ``expect`` is None.
    """
    loader = _Loader(text)
    loader.duplicates = []
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_nodes(node, source)
            data = loader.construct_document(node)
        else:
            data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problem = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            problem += "; a tab: indent with spaces"
        raise _fail(source, where, None, f"YAML syntax: {problem}", "syntax") from None
    except yaml.YAMLError as exc:
        raise _fail(source, "-", None, f"YAML syntax: {exc}", "syntax") from None
    except RecursionError:
        raise _fail(source, "-", None, f"nested too deeply (limit {MAX_DEPTH})", "syntax") from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise LoadError([(source, f"line {line}, column {col}", key,
                          "duplicate key (each key once; YAML would keep only the last)")
                         for key, line, col in loader.duplicates], kind="syntax")
    return check_document(data, source, what, expect)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column:column + 1] if line < len(lines) else ""


def check_document(data: Any, source: str, what: str, expect: type | None) -> Any:
    """Refuse an empty document or one of the wrong type (a list where a mapping is expected)."""
    if expect is None:
        return data
    wanted = _type_name(expect())
    if data is None:
        raise _fail(source, "-", None, f"the {what} is empty (or only comments); expected "
                    f"{wanted}", "empty")
    if not isinstance(data, expect):
        raise _fail(source, "(top level)", data if not isinstance(data, dict | list) else None,
                    f"the {what} holds {_type_name(data)}; expected {wanted}", "type")
    return data


def load_yaml(path: str | Path, what: str = "file", expect: type | None = dict) -> Any:
    """Read a YAML file (UTF-8, with or without BOM) with every guard (see the module docstring)."""
    source = str(path)
    text, _ = decode_text(read_bytes(path, what, MAX_YAML_BYTES), source, legacy=False)
    return parse_yaml(text, source, what, expect)


# --- loaders cached by file version ------------------------------------------------------------

_T = TypeVar("_T")


def file_version(path: str | Path) -> tuple | None:
    """What changes whenever a file does: its resolved path and a hash of its bytes (a file's
    modification time can stay the same over two quick rewrites of the same size); ``None`` for a
    file that cannot be read or is above the YAML size limit (the loader then reports it)."""
    try:
        p = Path(path)
        if p.stat().st_size > MAX_YAML_BYTES:
            return None
        return (str(p.resolve()), hashlib.blake2b(p.read_bytes(), digest_size=16).digest())
    except (OSError, ValueError):
        return None


def cache_by_file(copy: Callable[[Any], Any] | None = None, size: int = 64) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Cache a loader ``f(path, *args)`` of a YAML file by its version (:func:`file_version`) and
    ``args``.

    The explorer and the scenario runner build policies, profiles and behaviour for every engine
    run from the same few files; parsing and checking them again was a tenth of a redraw. A file
    that changes (an edit, a rewrite by ``calibrate --write``) is read again. ``copy`` makes what a
    caller gets from a cached value (for values with mutable parts); errors are not cached.
    ``f.cache_clear()`` empties the cache."""
    def decorate(f: Callable[..., _T]) -> Callable[..., _T]:
        cache: dict[tuple, Any] = {}
        lock = threading.Lock()

        @functools.wraps(f)
        def cached(path: str | Path, *args: Any) -> _T:
            version = file_version(path)
            if version is None:
                return f(path, *args)
            key = (version, *args)
            with lock:
                hit = cache.get(key, cache)
            if hit is cache:
                hit = f(path, *args)
                with lock:
                    if len(cache) >= size:
                        cache.clear()
                    cache[key] = hit
            return copy(hit) if copy is not None else hit

        cached.cache_clear = cache.clear  # type: ignore[attr-defined]
        return cached

    return decorate


# --- JSON --------------------------------------------------------------------------------------


def load_json(path: str | Path, what: str = "file", expect: type | None = dict) -> Any:
    """Read a JSON file (UTF-8) with the size guard; errors give line and column."""
    source = str(path)
    text, _ = decode_text(read_bytes(path, what, MAX_JSON_BYTES), source, legacy=False)
    if not text.strip():
        return check_document(None, source, what, expect)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"line {exc.lineno}, column {exc.colno}", None,
                    f"not valid JSON: {exc.msg}", "syntax") from None
    except RecursionError:
        raise _fail(source, "-", None, "nested too deeply", "syntax") from None
    return check_document(data, source, what, expect)


# --- tables ------------------------------------------------------------------------------------


_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_header(names: list[Any], source: str, where: str) -> None:
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw).strip()
        if not name:
            raise _fail(source, f"{where}, column {i}", raw, "a column without a name in the header",
                        "value")
        if name in seen:
            raise _fail(source, f"{where}, columns {seen[name]} and {i}", name,
                        "the header names this column twice", "value")
        seen[name] = i


def read_table(path: str | Path, what: str = "table") -> tuple[pd.DataFrame, str]:
    """Read a CSV or Excel (.xlsx) table; return (table, encoding or 'xlsx').

    CSV may be UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (Excel's "Unicode text", tab
    separated). Refuses a folder, a 0-byte file, a duplicated or blank column name, a row with
    more fields than the header and old binary .xls.
    """
    source = str(path)
    data = read_bytes(path, what, MAX_TABLE_BYTES)
    if not data.strip():
        raise _fail(source, "-", None, f"the {what} is empty; expected a header row and data rows",
                    "empty")
    if data.startswith(_XLS_MAGIC):
        raise _fail(source, "-", None, "an old Excel 97-2003 (.xls) file; save it as .xlsx or "
                    "as 'CSV UTF-8'", "encoding")
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, source, what), "xlsx"
    text, encoding = decode_text(data, source, legacy=True)
    return _read_csv(text, source, what), encoding


def _read_xlsx(data: bytes, source: str, what: str) -> pd.DataFrame:
    try:
        raw = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise _fail(source, "-", None, f"not a readable Excel workbook: {exc}", "encoding") from None
    if raw.empty:
        raise _fail(source, "sheet 1", None, f"the {what} is empty; expected a header row and "
                    "data rows", "empty")
    _check_header(list(raw.iloc[0]), source, "sheet 1, row 1")
    table = raw.iloc[1:].reset_index(drop=True)
    table.columns = [str(c).strip() for c in raw.iloc[0]]
    return table.infer_objects()


def _read_csv(text: str, source: str, what: str) -> pd.DataFrame:
    try:
        header = next(csv.reader(io.StringIO(text)))
    except (StopIteration, csv.Error) as exc:
        raise _fail(source, "line 1", None, f"no readable header row: {exc}", "syntax") from None
    sep = ","
    if len(header) == 1 and "\t" in header[0]:  # Excel's "Unicode text" is tab separated
        sep = "\t"
        header = next(csv.reader(io.StringIO(text), delimiter=sep))
    _check_header(header, source, "header (line 1)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            table = pd.read_csv(io.StringIO(text), sep=sep, index_col=False)
        except pd.errors.ParserError as exc:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if found:
                n, line, got = found.groups()
                raise _fail(source, f"line {line}", int(got), f"a row with {got} fields; the "
                            f"header has {n}", "value") from None
            raise _fail(source, "-", None, f"not a readable CSV {what}: {exc}", "syntax") from None
        except (pd.errors.EmptyDataError, UnicodeError, csv.Error) as exc:
            raise _fail(source, "-", None, f"not a readable CSV {what}: {exc}", "syntax") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        # pandas dropped surplus fields with a warning; find the row to name it
        for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1):
            if len(row) > len(header):
                raise _fail(source, f"line {line}", len(row), f"a row with {len(row)} fields; "
                            f"the header has {len(header)}", "value")
    return table


# --- output folders ----------------------------------------------------------------------------


def check_writable_folder(path: str | Path, what: str = "output folder") -> Path:
    """Create ``path`` if needed and check that a file can be written in it (before a long run)."""
    import tempfile

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise _fail(str(folder), "-", None, f"cannot write the {what} here: "
                    f"{exc.strerror or exc}", "missing") from None
    return folder
