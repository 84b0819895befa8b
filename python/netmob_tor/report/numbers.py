"""The report's one number format: every number on the page, in a map tooltip or on a chart goes through `fmt`.

A French reader takes `1,610` for one point six and `1.610` for one thousand six hundred and ten, so
neither the comma nor the point ever groups thousands here: the point is the decimal separator and a
narrow no-break space (U+202F) groups the digits before it by three (`1 610`). The rounding rules
are stated once on the page (`NUMBER_FORMAT`).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

GROUP = "\u202f"  # narrow no-break space: groups thousands, never wraps, never read as a decimal mark
SIGNIFICANT = 3  # measured values (cpc, rates, traffic) below WHOLE_FROM: significant digits
WHOLE_FROM = 100  # measured values from here up are rounded to whole numbers
E_NOTATION_BELOW = 1e-4  # measured values below this are written 5.03e-15
P_E_NOTATION_BELOW = 1e-3  # p-values below this are written 5.03e-15
NUMBER_FORMAT = (
    "How numbers are written: the point is the decimal separator and a narrow space groups thousands "
    f"(1{GROUP}610 is one thousand six hundred and ten; 912.5 is nine hundred and twelve and a half); counts are whole "
    "numbers; correlations, coefficients and shares are rounded to 3 decimals (Table 3 to 2 and Table 1 to 4, as "
    "the paper printed them), test statistics to 2; p-values have 3 significant digits, in e-notation "
    "below 0.001 (5.03e-15 is 5.03 × 10⁻¹⁵); other measured values (cpc, rates, traffic) are rounded to 3 "
    f"significant digits, and to whole numbers from {WHOLE_FROM} up; an interval is written “low to high” (0.279 to 0.295)."
)


def _missing(value: object) -> bool:
    """True for None, pandas' missing markers and a float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(float(value))


def _grouped(text: str) -> str:
    """`-1234567.25` -> `-1 234 567.25`: the integer digits grouped by three with GROUP."""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, decimals = digits.partition(".")
    groups = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    return sign + GROUP.join([whole, *groups]) + dot + decimals


def fmt(value: object, decimals: int | None = None, *, exact: bool = False) -> str:
    """One cell, label or tooltip value, in the report's number format (NUMBER_FORMAT).

    Blank for a missing value, yes/no for a boolean, text as it is. An integer (or a whole float without
    `decimals`) is written whole. `decimals` fixes the decimals (correlations, coefficients); `exact` writes a
    parameter's value as it was set (0.011, 1e-05); otherwise a measured value gets SIGNIFICANT significant
    digits, whole numbers from WHOLE_FROM up and e-notation below E_NOTATION_BELOW.
    """
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return _grouped(str(int(value)))
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if decimals is not None:
        text = f"{v:.{decimals}f}"
        return _grouped("0" + text[2:] if text.startswith("-") and float(text) == 0 else text)
    if exact:
        text = repr(v)
        return text if "e" in text else _grouped(text.removesuffix(".0"))
    if v == 0 or (v.is_integer() and abs(v) < 1e15):
        return _grouped(str(int(v)))
    if abs(v) >= WHOLE_FROM:
        return _grouped(str(int(round(v))))
    if abs(v) < E_NOTATION_BELOW:
        return f"{v:.{SIGNIFICANT - 1}e}"
    magnitude = math.floor(math.log10(abs(v)))
    places = max(SIGNIFICANT - 1 - magnitude, 0)
    rounded = round(v, places)
    if abs(rounded) >= WHOLE_FROM:  # 99.96 rounds to 100: whole from there
        return _grouped(str(int(round(v))))
    return f"{rounded:.{places}f}"


def p_value(value: object) -> str:
    """A p-value with 3 significant digits: 0.0689, and in e-notation below P_E_NOTATION_BELOW (5.03e-15); blank when missing."""
    if _missing(value):
        return ""
    v = float(value)  # type: ignore[arg-type]
    if v == 0 or v >= P_E_NOTATION_BELOW:
        return fmt(v)
    return f"{v:.2e}"


def interval(low: object, high: object, decimals: int | None = None) -> str:
    """`low to high` in the number format (blank when either end is missing): no comma between two decimals, which a
    French reader could take for a decimal comma."""
    if _missing(low) or _missing(high):
        return ""
    return f"{fmt(low, decimals)} to {fmt(high, decimals)}"


COMMA_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def regroup(text: str) -> str:
    """A sentence written elsewhere with comma-grouped counts (`4,654 files`) in the report's format (`4 654 files`)."""
    return COMMA_GROUPED.sub(lambda match: match.group(0).replace(",", GROUP), text)


def percent(share: object, decimals: int | None = 1) -> str:
    """A share (0.306) as a percentage with `decimals` decimals (30.6 %); None: a parameter's share as set (0.1 %)."""
    if _missing(share):
        return ""
    value = 100 * float(share)  # type: ignore[arg-type]
    return f"{fmt(value, decimals, exact=decimals is None)}{GROUP}%"


def tick(value: float) -> str:
    """A chart's tick value as the axis placed it (0.25, 1 000, 1e-05), in the number format: never rounded away."""
    return fmt(float(f"{float(value):.12g}"), exact=True)
