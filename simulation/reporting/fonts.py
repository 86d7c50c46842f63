"""CJK font set-up for matplotlib, so that Chinese chart labels (中文标签) render.

matplotlib falls back from one font to the next *per glyph* only when ``font.family`` itself is a
list (``["sans-serif", "WenQuanYi Micro Hei"]``); a CJK name placed only in ``font.sans-serif``
still draws empty boxes for the Chinese characters. :func:`use_cjk_font` sets that list once.

The fonts come from Debian: ``fonts-wqy-microhei`` (5 MB, what ``scripts/bootstrap.sh --system``
installs) or ``fonts-noto-cjk``.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib
from matplotlib import font_manager

#: CJK families accepted, in order of preference (the names fontconfig/matplotlib report).
CJK_FAMILIES: tuple[str, ...] = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
)

INSTALL_HINT = (
    "install a CJK font: `bash scripts/bootstrap.sh --system` "
    "(or `apt-get install fonts-wqy-microhei`), then delete matplotlib's font cache "
    "(~/.cache/matplotlib) if the font is still not found"
)


class FontError(RuntimeError):
    """No CJK font is available, so Chinese labels cannot be drawn."""


@lru_cache(maxsize=1)
def find_cjk_family() -> str | None:
    """Return the first installed family of :data:`CJK_FAMILIES`, or ``None``."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    # A font added after matplotlib built its cache: rebuild once and look again.
    font_manager.fontManager.__init__()  # type: ignore[misc]
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def use_cjk_font(required: bool = True) -> str | None:
    """Make matplotlib draw Chinese characters with a CJK font, Latin ones with its sans-serif.

    Sets ``rcParams["font.family"] = ["sans-serif", <cjk family>]`` (idempotent). Returns the CJK
    family used. Raises :class:`FontError` with the install command when ``required`` and no CJK
    font is installed; returns ``None`` in that case when not required (English charts).
    """
    family = find_cjk_family()
    if family is None:
        if required:
            raise FontError(f"no CJK font found (looked for {', '.join(CJK_FAMILIES)}); {INSTALL_HINT}")
        return None
    matplotlib.rcParams["font.family"] = ["sans-serif", family]
    # DejaVu Sans has U+2212; keep the proper minus sign rather than a hyphen.
    matplotlib.rcParams["axes.unicode_minus"] = True
    return family
