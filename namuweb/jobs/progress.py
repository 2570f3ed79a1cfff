"""What a job reports while it works: one record for every kind, so one widget, one progress line
and one ETA rule serve training, tagging, imports and skip-gram alike."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


def format_seconds(seconds: float | None) -> str:
    """``0m 42s``, ``3m 05s``, ``1h 02m``; "–" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m {seconds % 60:02d}s"


def _number(value: float) -> str:
    """Whole numbers as such, small fractional ones (2.4 MB) with one decimal."""
    return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:,.1f}"


@dataclass
class Progress:
    """Where a job is. ``done`` and ``total`` count ``unit`` (steps, MB, lines); ``rate`` is units per
    second; ``message`` is the kind's own words (epoch and loss, documents kept); ``extra`` holds
    figures a page charts or a test reads (``loss``, ``workers``), never needed to draw the bar."""

    done: float = 0
    total: float | None = None
    unit: str = ""
    rate: float | None = None
    eta_s: float | None = None
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """0..1 of the work; 0 while the total is unknown."""
        if not self.total:
            return 0.0
        return min(max(self.done / self.total, 0.0), 1.0)

    def line(self) -> str:
        """One line for a terminal, a log or a page: ``42% · 120 of 284 steps · 3.1 steps/s · epoch 2 · ETA 53 s``."""
        parts = []
        if self.total and self.unit == "%":
            parts.append(f"{self.fraction:.0%}")
        elif self.total:
            parts.append(f"{self.fraction:.0%} · {_number(self.done)} of {_number(self.total)} {self.unit}".rstrip())
        elif self.done:
            parts.append(f"{_number(self.done)} {self.unit}".rstrip())
        if self.rate and self.unit not in ("s", "%"):
            parts.append(f"{_number(self.rate)} {self.unit or 'units'}/s")
        if self.message:
            parts.append(self.message)
        if self.eta_s is not None:
            parts.append(f"ETA {format_seconds(self.eta_s)}")
        return " · ".join(parts)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data) -> Progress:
        """A stored record; anything that is not one (an old or damaged status) reads as no progress."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(done=float(data.get("done") or 0),
                       total=float(data["total"]) if data.get("total") is not None else None,
                       unit=str(data.get("unit") or ""),
                       rate=float(data["rate"]) if data.get("rate") is not None else None,
                       eta_s=float(data["eta_s"]) if data.get("eta_s") is not None else None,
                       message=str(data.get("message") or ""),
                       extra=data["extra"] if isinstance(data.get("extra"), dict) else {})
        except (TypeError, ValueError):
            return cls()
