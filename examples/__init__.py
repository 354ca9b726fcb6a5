"""Example CovetPy applications: ``hello`` (the quick start) and ``app`` (``make run``)."""
