"""Writes the fixed regression inputs of issue 15 (the crash classes the fuzzer found).

Run ``python tests/corpus/make_corpus.py`` to regenerate; the files are committed, and
``tests/test_loading.py`` feeds every one to every loader it concerns.

- ``yaml/``: broken YAML of every class, fed to the policy, reform, profile, scenario, behaviour
  and admin-parameter loaders;
- ``persons/``: broken person tables (and two valid ones in GBK and UTF-16 that must be read);
- ``results_folders/``: results folders with a bad or missing manifest or table;
- ``admin/``: an admin-parameter file without allocation years.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _laughs(levels: int = 9) -> bytes:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


YAML: dict[str, bytes] = {
    "gbk.yaml": "name: 綦江区低保标准\nmonths: 36\n".encode("gbk"),
    "utf16_bom.yaml": "name: qijiang\nmonths: 36\n".encode("utf-16"),
    "stray_ff.yaml": b"name: qijiang\nmonths: 3\xff6\n",
    "random_bytes.yaml": bytes((i * 97 + 13) % 256 for i in range(600)),
    "tab_indent.yaml": b"population:\n\thouseholds: 100\n",
    "truncated_line.yaml": b"name: qijiang\nreforms:\n  - name: 'plus\n",
    "unclosed_flow.yaml": b"localities: [qijiang, kaizhou\nmonths: 36\n",
    "undefined_alias.yaml": b"name: *nothing\n",
    "python_tag.yaml": b"name: !!python/object/apply:os.system ['echo pwned']\n",
    "billion_laughs.yaml": _laughs(),
    "recursive_alias.yaml": b"a: &a [1, *a]\n",
    "empty.yaml": b"",
    "comment_only.yaml": b"# only a comment\n\n# and another\n",
    "list_document.yaml": b"- qijiang\n- kaizhou\n",
    "number_document.yaml": b"42\n",
    "string_document.yaml": b"just a sentence\n",
    "duplicate_key.yaml": b"name: a\nname: b\n",
    "two_documents.yaml": b"name: a\n---\nname: b\n",
    "deep_nesting.yaml": b"a: " + b"[" * 300 + b"]" * 300 + b"\n",
}


def persons_files(target: Path) -> None:
    from simulation.rules import example_persons

    table = example_persons()
    (target / "zero_bytes.csv").write_bytes(b"")
    (target / "header_only.csv").write_text(",".join(table.columns) + "\n", encoding="utf-8")
    text = table.to_csv(index=False)
    lines = text.splitlines()
    lines[3] += ",999"  # a row with one field more than the header
    (target / "extra_fields.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    first = lines[1] + ",999"  # the first data row longer: pandas would make column 1 the index
    (target / "extra_fields_first_row.csv").write_text(
        "\n".join([lines[0], first, *lines[2:3]]) + "\n", encoding="utf-8")
    dup = table.copy()
    dup.insert(1, "age_again", dup["age"])
    (target / "duplicated_column.csv").write_text(
        dup.to_csv(index=False).replace("age_again", "age", 1), encoding="utf-8")
    (target / "random_bytes.csv").write_bytes(bytes((i * 97 + 13) % 256 for i in range(600)))
    (target / "old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    # valid tables in the encodings Excel on Chinese Windows writes: they must be read
    (target / "valid_gbk.csv").write_bytes(text.encode("gbk"))
    (target / "valid_utf16_tab.csv").write_bytes(table.to_csv(index=False, sep="\t").encode("utf-16"))


def results_folders(target: Path) -> None:
    table = pd.DataFrame({"variant": ["baseline"], "year": [2025], "p50": [1.0]})
    good = {"tables": ["cost_total_bands"], "scenario": "corpus"}
    cases = {
        "empty_manifest": (b"", True),
        "truncated_manifest": (json.dumps(good).encode()[:20], True),
        "binary_manifest": (bytes(range(256)), True),
        "list_manifest": (b"[1, 2, 3]", True),
        "tables_not_a_list": (json.dumps({"tables": "cost_total_bands"}).encode(), True),
        "missing_table": (json.dumps(good).encode(), False),
        "table_not_in_manifest": (json.dumps({"tables": []}).encode(), True),
    }
    for name, (manifest, with_table) in cases.items():
        folder = target / name
        folder.mkdir()
        (folder / "manifest.json").write_bytes(manifest)
        if with_table:
            table.to_parquet(folder / "cost_total_bands.parquet", index=False)
    rows = target / "rows_differ_from_manifest"  # the manifest's record of the table is wrong
    rows.mkdir()
    table.to_parquet(rows / "cost_total_bands.parquet", index=False)
    facts = {"rows": 5, "columns": ["variant", "year", "p50"],
             "sha256": hashlib.sha256((rows / "cost_total_bands.parquet").read_bytes()).hexdigest()}
    (rows / "manifest.json").write_text(json.dumps({**good, "table_files": {
        "cost_total_bands": facts}}), encoding="utf-8")
    (target / "no_manifest").mkdir()
    table.to_parquet(target / "no_manifest" / "cost_total_bands.parquet", index=False)
    damaged = target / "damaged_table"
    damaged.mkdir()
    (damaged / "manifest.json").write_bytes(json.dumps(good).encode())
    (damaged / "cost_total_bands.parquet").write_bytes(b"PAR1" + b"\0" * 40)


def admin_files(target: Path) -> None:
    text = (ROOT / "data" / "scenarios" / "admin_parameters.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("  central_allocation:")
    (target / "no_allocation_years.yaml").write_text(head + "  central_allocation: {}\n",
                                                     encoding="utf-8")


def main() -> None:
    for sub in ("yaml", "persons", "results_folders", "admin"):
        shutil.rmtree(HERE / sub, ignore_errors=True)
        (HERE / sub).mkdir()
    for name, data in YAML.items():
        (HERE / "yaml" / name).write_bytes(data)
    persons_files(HERE / "persons")
    results_folders(HERE / "results_folders")
    admin_files(HERE / "admin")


if __name__ == "__main__":
    main()
