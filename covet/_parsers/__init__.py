"""Sans-I/O parsers: pure functions from bytes to values, unit-testable without ASGI."""
