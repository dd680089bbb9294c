"""CI gates: `evals/thresholds.toml` (set by hand) checked against a run's flat metrics.

Each gate names a flat metric (see `evals.runner.flat_metrics`), a `threshold` that CI enforces,
and optionally the product `target` (a number, or `target_relative_to` another metric plus
`target_delta`). `lower_is_better = true` turns the threshold into a ceiling.
"""

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

THRESHOLDS_PATH = Path(__file__).resolve().parent / "thresholds.toml"
MARGIN = 0.02  # suggested threshold = measured - MARGIN, rounded down to 0.005 (never below measured - 0.03)


class ThresholdsError(ValueError):
    """thresholds.toml is malformed."""


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float
    target: float | None = None
    target_relative_to: str | None = None
    target_delta: float = 0.0
    lower_is_better: bool = False
    note: str = ""


@dataclass(frozen=True)
class GateResult:
    metric: str
    measured: float | None
    threshold: float
    target: float | None
    passed: bool
    target_met: bool | None
    distance_to_target: float | None  # how far from the target, when not met
    lower_is_better: bool
    note: str

    def message(self) -> str:
        shown = "n/a" if self.measured is None else f"{self.measured:.3f}"
        op = "<=" if self.lower_is_better else ">="
        target = "" if self.target is None else f"; product target {op} {self.target:.3f}"
        verdict = "ok" if self.passed else "FAILED"
        return f"{self.metric}: measured {shown}, CI threshold {op} {self.threshold:.3f}{target} [{verdict}]"

    def as_dict(self) -> dict:
        return asdict(self)


def load_gates(path: Path = THRESHOLDS_PATH) -> list[Gate]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThresholdsError(f"cannot read {path}: {exc}") from exc
    gates = []
    for metric, spec in (raw.get("gates") or {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("threshold"), int | float):
            raise ThresholdsError(f"{path.name}: gate '{metric}' needs a numeric threshold")
        known = {"threshold", "target", "target_relative_to", "target_delta", "lower_is_better", "note"}
        if set(spec) - known:
            raise ThresholdsError(f"{path.name}: gate '{metric}' has unknown keys {sorted(set(spec) - known)}")
        gates.append(
            Gate(
                metric, float(spec["threshold"]), spec.get("target"), spec.get("target_relative_to"),
                float(spec.get("target_delta", 0.0)), bool(spec.get("lower_is_better", False)), spec.get("note", ""),
            )
        )
    return gates


def check(gates: list[Gate], metrics: dict[str, float | None]) -> list[GateResult]:
    results = []
    for gate in gates:
        measured = metrics.get(gate.metric)
        target = gate.target
        if gate.target_relative_to is not None:
            base = metrics.get(gate.target_relative_to)
            target = None if base is None else base + gate.target_delta
        if measured is None:
            passed, met, distance = False, None, None
        else:
            passed = measured <= gate.threshold if gate.lower_is_better else measured >= gate.threshold
            met = None if target is None else (measured <= target if gate.lower_is_better else measured >= target)
            distance = None if met in (None, True) else abs(target - measured)
        results.append(GateResult(gate.metric, measured, gate.threshold, target, passed, met, distance, gate.lower_is_better, gate.note))
    return results


def suggested_lines(results: list[GateResult], margin: float = MARGIN, widest: float = 0.03) -> list[str]:
    """TOML lines to paste into thresholds.toml for each gate outside [measured - widest, measured]
    (for a ceiling: [measured, measured + widest]), i.e. failing, or too loose to catch a regression."""
    lines = []
    for r in results:
        if r.measured is None:
            continue
        gap = r.threshold - r.measured if r.lower_is_better else r.measured - r.threshold
        if 0 <= gap <= widest + 1e-9:
            continue
        step = 200  # thresholds on a 0.005 grid
        if r.lower_is_better:
            suggestion = math.ceil((r.measured + margin) * step - 1e-6) / step
        else:
            suggestion = max(0.0, math.floor((r.measured - margin) * step + 1e-6) / step)
        lines.append(f'[gates."{r.metric}"]\nthreshold = {suggestion:g}  # measured {r.measured:.3f}; currently {r.threshold:g}')
    return lines
