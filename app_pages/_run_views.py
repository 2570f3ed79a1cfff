"""The Train page's live view of one run, as the job panel's parts: its figures above the bar, its curves below."""

import streamlit as st

from namuweb import charts, jobs
from namuweb.language_model import runs
from namuweb.literal_text import literal
from app_pages._widgets import floor_notice


class LiveRun:
    """The live view's parts of the run the job panel picked (the run last started here while it is active,
    else the active run, else the one last started here, else the newest): one run's curves read per view."""

    def __init__(self):
        self.info = self.metrics = self.figures = None

    def header(self, run_dir, status) -> None:
        self.info = runs.run_info(run_dir, status)
        self.metrics = runs.Run(run_dir).metrics()
        self.figures = runs.LiveFigures.of(self.info, self.metrics)
        st.subheader(literal(self.info.name))
        cols = st.columns(7)
        cols[0].metric("State", self.info.state)
        for col, (label, value, help) in zip(cols[1:], self.figures.tiles()):
            col.metric(label, value, help=help)

    def label(self, run_dir, status) -> str:
        return f"Training on {self.info.device or 'starting…'}"

    def progress(self, run_dir, status) -> jobs.Progress:
        return self.figures.progress

    def ended(self, run_dir, status) -> bool:
        """A run below its quality floor says so, and offers to continue (not a failure line)."""
        if self.info.below_floor and self.info.state in ("stopped", "finished"):
            floor_notice(self.info, key="live")
            return True
        return False

    def after(self, run_dir, status) -> None:
        st.altair_chart(charts.loss_chart(runs.curves(self.metrics),
                                          title=f"Loss · {self.info.config.get('corpus_name', '')}"), width="stretch")
        if kept := self.figures.kept:
            st.caption(f"The model overfitted after step {kept[0]:,}: its checkpoint holds the weights of "
                       f"that step, the best validation loss of the run ({kept[1]:.3f}).")
