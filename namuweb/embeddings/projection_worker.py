"""The maps' worker process: ``python -m namuweb.embeddings.projection_worker``.

Reads a JSON header line (``{"method", "rows", "cols", "perplexity", "n_neighbors"}``) and the rows as raw float32 on stdin,
writes a header (``{"rows"}`` or ``{"error"}``) and the x, y pairs as raw float64 on stdout; one
map after another, for the server's whole life, so UMAP compiles its kernels once.  Niced: pages
and taggers come first on two cores.  Anything a library prints goes to stderr, never into answers.
"""

from __future__ import annotations

import json
import os
import sys
import threading

from namuweb import helper_processes

# umap's package imports TensorFlow for its ParametricUMAP when it can: seconds and hundreds of MB
# this process never uses.
sys.modules.setdefault("tensorflow", None)


def main() -> int:
    os.nice(10)
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    threading.Thread(target=helper_processes.exit_with_parent, args=(os.getppid(),), daemon=True).start()
    import numpy as np
    from namuweb.embeddings.projections import layout
    for line in iter(requests.readline, b""):
        header = json.loads(line)
        data = requests.read(4 * header["rows"] * header["cols"])
        points = np.frombuffer(data, dtype=np.float32).reshape(header["rows"], header["cols"])
        try:
            xy = np.ascontiguousarray(layout(points, header["method"], header.get("perplexity"),
                                                   header.get("n_neighbors")), dtype=np.float64)
        except Exception as problem:  # noqa: BLE001 -- told to the server, which shows it
            answers.write(json.dumps({"error": f"{type(problem).__name__}: {problem}"[:300]}).encode() + b"\n")
        else:
            answers.write(json.dumps({"rows": len(xy)}).encode() + b"\n" + xy.tobytes())
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
