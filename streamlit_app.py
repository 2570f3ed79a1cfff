"""namuweb's entry point: the navigation over the tool pages in ``app_pages/``.

The pages are deliberately not in a folder named ``pages/``: Streamlit 1.67
still switches a fresh server into its legacy file-based navigation when that
folder exists, so the first deep link (``/vocabulary``) would skip this file.
"""

import streamlit as st

from namuweb.corpora import corpus
from namuweb import jobs, warmup
from namuweb.config import demo_settings
from app_pages._widgets import show_failure, visitor

st.set_page_config(page_title="namuweb", page_icon="🌳", layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/corpora.py", title="Corpora", icon=":material/library_books:", url_path="corpora"),
    st.Page("app_pages/tagger.py", title="Tagger", icon=":material/label:", url_path="tagger"),
    st.Page("app_pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:", url_path="embeddings"),
    st.Page("app_pages/vocabulary.py", title="Vocabulary", icon=":material/abc:", url_path="vocabulary"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("app_pages/generate.py", title="Generate", icon=":material/edit_note:", url_path="generate"),
    st.Page("app_pages/inspect.py", title="Inspect", icon=":material/biotech:", url_path="inspect"),
]

if demo := demo_settings():  # every page says so; the pages with limits say it again where they bite
    st.sidebar.info(demo.notice(), icon=":material/visibility:")
page = st.navigation(PAGES, position="sidebar")
try:
    with jobs.started_by(visitor()):  # a demo caps jobs per visitor
        page.run()
    warmup.page_served()  # the server's warm-up holds its heavier half back until a first page is out
except corpus.StorageError as error:  # a full or read-only data directory: one message, whatever page
    st.error(str(error), icon=":material/hard_drive:")
except Exception as error:
    if isinstance(error, OSError) and error.errno in corpus.UNWRITABLE:
        st.error(corpus.storage_message(error, "the data this page needs"), icon=":material/hard_drive:")
    else:  # anything else: one line where the page stopped, the traceback in the server's log
        show_failure(f"The {page.title} page", error)
