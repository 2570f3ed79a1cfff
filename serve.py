"""Start the namuweb server: ``streamlit run app.py`` (Streamlit's server with namuweb's middleware in front,
see ``app.py``) with a warm-up begun first.

Streamlit runs the app's script only when a visitor connects, so nothing in ``streamlit_app.py``
can prepare a server before its first visitor. Started here, the warm-up (``namuweb.warmup``:
Java and Okt, the built-in corpus, Kiwi, the TensorFlow report) begins before Streamlit does.
The port opens once the Okt worker is up (Java's start and Okt's dictionaries are a few seconds
of one core that no page can hide), or after :data:`READY_WAIT_S` at most; the rest goes on in
the background at a lower priority than the pages. Arguments go to ``streamlit run``.
"""

import os
import sys
from pathlib import Path

from namuweb import config, warmup

READY_WAIT_S = 10.0

if __name__ == "__main__":
    config.keep_files_private()  # the server, and every worker it spawns, creates owner-only files
    warm = os.environ.get("NAMUWEB_WARMUP", "1") != "0"  # 0: no warm-up (a server short of memory, say)
    if warm:
        warmup.start()  # before Streamlit's own import: Java gets those seconds too
    from streamlit.web import cli
    if warm:
        warmup.import_page_modules()
        warmup.wait("okt", READY_WAIT_S)
    sys.exit(cli.main(["run", str(Path(__file__).with_name("app.py")), *sys.argv[1:]], prog_name="streamlit"))
