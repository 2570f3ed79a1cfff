"""What several pages show the same way: one place, so the pages stay widgets → one call → rendering."""

import streamlit as st

from namuweb import config


def demo_notice() -> None:
    """In demo mode, what is open and what is limited, at the top of a page whose limits bite."""
    if demo := config.demo_settings():
        st.info(demo.notice(), icon=":material/visibility:")
