"""Start the namuweb server: ``streamlit run streamlit_app.py`` with a warm-up begun first.

Streamlit runs the app's script only when a visitor connects, so nothing in ``streamlit_app.py``
can prepare a server before its first visitor. Started here, the warm-up (``namuweb.warmup``:
Java and Okt, the built-in corpus, Kiwi, the TensorFlow report) runs in the server process
itself while Streamlit starts, and the pages find it done. Arguments go to ``streamlit run``.
"""

import sys
from pathlib import Path

from namuweb import warmup

if __name__ == "__main__":
    warmup.start()  # before Streamlit's own import: Java gets those seconds too
    from streamlit.web import cli
    sys.exit(cli.main(["run", str(Path(__file__).with_name("streamlit_app.py")), *sys.argv[1:]], prog_name="streamlit"))
