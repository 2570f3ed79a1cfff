"""namuweb's entry point: the navigation over the tool pages in ``pages/``."""

import streamlit as st

st.set_page_config(page_title="namuweb", page_icon="🌳", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True),
    st.Page("pages/vocabulary.py", title="Vocabulary", icon=":material/abc:", url_path="vocabulary"),
]

st.navigation(PAGES, position="sidebar").run()
