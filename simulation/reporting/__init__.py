"""Reporting layer (see docs/contracts.md): CJK fonts, charts with Chinese/English labels, tables,
and the interactive explorer (``simulation.reporting.explorer``, imported on demand: it needs
ipywidgets)."""

from simulation.reporting.charts import (
    backlog_chart,
    band_chart,
    calibration_chart,
    cap_chart,
    cost_chart,
    coverage_chart,
    demand_chart,
    show,
    staffing_chart,
    to_png,
)
from simulation.reporting.fonts import FontError, use_cjk_font
from simulation.reporting.labels import label
from simulation.reporting.tables import (
    TableError,
    annual_by,
    annual_components,
    monthly_by,
    quantile_bands,
    stock_by_year,
)

__all__ = [
    "FontError", "TableError", "annual_by", "annual_components", "backlog_chart", "band_chart",
    "calibration_chart", "cap_chart", "cost_chart", "coverage_chart", "demand_chart", "label",
    "monthly_by", "quantile_bands", "show", "staffing_chart", "stock_by_year", "to_png",
    "use_cjk_font",
]
