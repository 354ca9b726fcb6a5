"""Count what the production middleware stack costs per request, against the bare app.

Issue 8's target: the default production stack (request id, security headers, CORS, rate
limit on a memory store) keeps at least 0.85 of the bare app's throughput in-process. The
variants are in ``apps/covet_stack.py``: the bare app, each middleware alone and the whole
stack. Instructions per request come from callgrind exactly as in ``callgrind.py``
(in-process, two batches, (I2 - I1) / (N2 - N1)), all variants in one process under
valgrind; microseconds per request from ``inprocess.py``'s timer loop beside them. The
ratio is bare / variant, so 0.85 means the variant keeps 85% of the bare app's throughput.
"""

from __future__ import annotations

import sys

import variants
from apps.covet_stack import VARIANTS, variant
from scenarios import SCENARIOS

BARE = "bare"
TARGET = 0.85
load = variants.built_once(variant)


def main(argv: list[str] | None = None) -> int:
    """Count and time every variant; return 1 when a response was wrong or a run failed."""
    args = variants.parse_args(
        argv,
        description=__doc__.splitlines()[0],
        option="variants",
        names=list(VARIANTS),
        scenarios="plaintext,json",
    )
    return variants.main(
        args,
        script=__file__,
        kind="stack",
        title="CovetPy production stack vs the bare app (issue 8)",
        variant="variant",
        known=list(VARIANTS),
        scenarios=SCENARIOS,
        load=load,
        bases=[BARE],
        footer=f"target: the stack keeps >= {TARGET} of the bare app's throughput (x bare)",
    )


if __name__ == "__main__":
    sys.exit(main())
