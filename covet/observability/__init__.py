"""Running in production: health probes, structured logs (standard library only)."""

from covet.observability.health import CheckResult, HealthCheck, HealthReport
from covet.observability.logs import DevFormatter, JSONFormatter, redact
from covet.observability.stack import Observability

__all__ = [
    "CheckResult",
    "DevFormatter",
    "HealthCheck",
    "HealthReport",
    "JSONFormatter",
    "Observability",
    "redact",
]
