"""The app's own server: Streamlit's, with namuweb's middleware in front (``namuweb.web``).

``serve.py`` (what ``./scripts/app`` starts) runs ``streamlit run app.py``; Streamlit finds the
``App`` below and serves ``streamlit_app.py`` through it.  ``streamlit run streamlit_app.py`` still
works, without the in-memory front end and the visitor cookie.
"""

import streamlit as st
from starlette.middleware import Middleware
from streamlit import file_util

from namuweb import web

app = st.App("streamlit_app.py", middleware=[
    Middleware(web.VisitorCookie),
    Middleware(web.BundleFromMemory, directory=f"{file_util.get_static_dir()}/static"),
])
