"""Scenarios layer (情景): scenario files, runs on pluggable executors, tables, results, Excel.

See docs/contracts.md §7::

    from simulation.scenarios.scenario import load_scenario
    from simulation.scenarios.runner import run_scenario
    result = run_scenario(load_scenario("data/scenarios/default.yaml"), progress=True)
    print(result.summary_text())          # results/<run_id>/: Parquet tables + manifest.json

``executors`` (serial, local processes, Dask), ``results`` (atomic Parquet + manifest),
``excel`` (workbook for the finance bureau), ``summary`` (cost, coverage and band tables).
"""
