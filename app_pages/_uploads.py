"""Upload widgets whose files leave the server's memory once the page has stored them.

Streamlit keeps every uploaded file in the server's memory, per session, for as long as the
session lives, and the widget's own state keeps another reference to it. A page that has written
an upload to the data directory has no use for either: :func:`forget_upload` drops the file from
Streamlit's store, closes the widget's own file objects and gives the widget a new key, so the
page's next run shows an empty uploader.
"""

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx


def _widget_key(key: str) -> str:
    return f"{key}-{st.session_state.get(f'{key}-round', 0)}"


def file_uploader(label: str, key: str, **options):
    """``st.file_uploader`` under a key that changes each time its file has been stored."""
    return st.file_uploader(label, key=_widget_key(key), **options)


def forget_upload(upload, key: str) -> None:
    """Let go of ``upload`` (stored by now, or refused): call it in a ``finally``, then ``st.rerun()``."""
    context = get_script_run_ctx()
    if upload is not None and context is not None and Runtime.exists():
        Runtime.instance().uploaded_file_mgr.remove_file(context.session_id, upload.file_id)
    # The widget's state holds its own file objects over the same bytes; a visitor who leaves
    # before the rerun ends would otherwise leave them in the session for good.
    held = st.session_state.get(_widget_key(key))
    for file in [upload, *(held if isinstance(held, list) else [held])]:
        if file is not None:
            file.close()
    st.session_state[f"{key}-round"] = st.session_state.get(f"{key}-round", 0) + 1
