"""Running in production: health and readiness probes (standard library only)."""

from covet.observability.health import CheckResult, HealthCheck, HealthReport

__all__ = ["CheckResult", "HealthCheck", "HealthReport"]
