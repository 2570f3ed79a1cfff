"""The Train page's live view of one run, as the job panel's parts: its figures above the bar, its curves and the
samples it wrote while it learned below."""

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
        learning_samples(run_dir, active=bool(status and status.active))


def learning_samples(run_dir, active: bool = False) -> None:
    """The texts a run wrote every few seconds while it trained and at its end: the newest in full, then all of
    them newest first — noise turning into words."""
    moments = runs.learning_samples(run_dir)
    if not moments:
        if active:
            st.caption("A first sample of its text comes after a few seconds of training.")
        return
    st.markdown("**Samples while it learned**")
    newest, temperatures = moments[0], [name for name in moments[0] if name.startswith("temperature")]
    after = f", after {newest['seconds']:.0f} s of training" if newest["seconds"] is not None else ""
    st.caption(f"The newest, at step {newest['step']:,}{after}: at a low temperature what the model is sure of, at "
               "1.0 all it has learned. Every sample has the same start and the same random draws, so each differs "
               "from the one before only by what the model learned in between.")
    for name in temperatures:
        st.markdown(f"`{name.removeprefix('temperature ')}` {literal(newest[name])}")
    st.dataframe(moments, hide_index=True, width="stretch", height=min(35 * (len(moments) + 1) + 3, 300),
                 column_config={"seconds": st.column_config.NumberColumn("seconds", format="%.0f",
                                                                         help="of training by then")}
                 | {name: st.column_config.TextColumn(name, width="large") for name in temperatures})
