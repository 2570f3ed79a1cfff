"""Train: start a char-LSTM job, watch its loss live, manage runs."""

import pandas as pd
import streamlit as st

from namuweb import charts, jobs
from namuweb.corpora import corpus
from namuweb.config import demo_settings
from namuweb.language_model import estimate, run_folder, runs, settings as lm, training
from namuweb.literal_text import literal
from namuweb.text.vocab_report import report
from app_pages._widgets import continue_training, corpus_picker, demo_notice, fragment, job_panel
from app_pages._run_views import LiveRun, learning_samples

st.title("Train a char-LSTM")
st.caption("The tutorial's model — Embedding → LSTM → Dense over jamo tokens — trained as a background job: "
           "reload the page or open another tab and the run is still there.")
demo = demo_settings()
demo_notice()


@st.cache_data(show_spinner=False, max_entries=32)
def corpus_tokens(corpus_id: str, created: str, tokenization: str) -> tuple[int, int]:
    figures = report(corpus.get_corpus(corpus_id), jamo=tokenization == "jamo")
    return figures.tokens, figures.vocab.size


# --- a new run ---------------------------------------------------------------------
left, right = st.columns([2, 1])
chosen = corpus_picker("Corpus", corpus.list_corpora(), where=left)
preset = right.segmented_control("Preset", lm.PRESET_NAMES, default="demo", key="preset",
                                 format_func=lambda p: lm.PRESET_LABELS[p],
                                 help=f"the quick demo: {lm.quick_demo_time()}") or "demo"
defaults = lm.preset_settings(preset)
settings = dict(defaults)
settings["tokenization"] = st.segmented_control(
    "Tokens", lm.TOKENIZATIONS, default="jamo", key="tokenization",
    format_func={"jamo": "jamo + ᴥ (the tutorial's)", "syllables": "whole syllables"}.get,
    help="The tutorial splits each syllable into its jamo and an end mark, so the model sees about 150 kinds of "
         "token instead of about 2,000 syllables. Train one run of each and compare their validation loss in bits "
         "per character below.") or "jamo"
with st.expander("Settings" + (" (edit)" if preset == "custom" else f" of the {lm.PRESET_LABELS[preset]} preset"),
                 expanded=preset == "custom"):
    editable = preset == "custom"
    cols = st.columns(4)
    settings["embedding"] = cols[0].number_input("Embedding size", 1, 4096, defaults["embedding"], disabled=not editable)
    settings["units"] = cols[1].number_input("LSTM units", 1, 8192, defaults["units"], disabled=not editable)
    settings["layers"] = cols[2].number_input("LSTM layers", 1, 8, defaults["layers"], disabled=not editable)
    settings["dropout"] = cols[3].number_input("Dropout", 0.0, 0.9, float(defaults["dropout"]), step=0.1, disabled=not editable)
    cols = st.columns(4)
    settings["batch"] = cols[0].number_input("Batch size", 1, 4096, defaults["batch"], disabled=not editable)
    settings["seq_len"] = cols[1].number_input("Sequence length", 2, 10_000, defaults["seq_len"], disabled=not editable)
    settings["learning_rate"] = cols[2].number_input("Learning rate", 1e-6, 1.0, float(defaults["learning_rate"]),
                                                     format="%.4f", step=0.0005, disabled=not editable)
    settings["val_share"] = cols[3].number_input("Validation share", 0.0, 0.5, float(defaults["val_share"]),
                                                 step=0.01, disabled=not editable)
    cols = st.columns(5)
    budgets, preset_budget = lm.BUDGETS, lm.budget_of(defaults)
    budget = cols[0].radio("Budget", list(budgets), index=list(budgets).index(preset_budget), horizontal=True,
                           disabled=not editable, help="time: train until that many seconds have passed since "
                                                       "the job started, however many steps that is")
    amount = cols[1].number_input(budgets[budget], 1, 10_000_000, lm.budget_amount(defaults, budget),
                                  disabled=not editable)
    settings |= lm.budget_settings(budget, amount)
    settings["seed"] = cols[2].number_input("Seed", 0, 2**31 - 1, 0, disabled=not editable)
    settings["schedule"] = cols[3].selectbox("Rate schedule", lm.SCHEDULES,
                                             index=lm.SCHEDULES.index(defaults.get("schedule", "constant")),
                                             disabled=not editable, help="constant, or a cosine decay to a tenth "
                                                                         "of the rate over the budget")
    settings["mixed_precision"] = cols[4].toggle("Mixed precision", False, disabled=not editable,
                                                 help="float16 compute with float32 weights: faster on GPUs, "
                                                      "no gain on CPUs")

proposal = estimate.propose(chosen.id, preset, settings, lambda config: corpus_tokens(chosen.id, chosen.created,
                                                                                     config.tokenization))
if proposal.line:
    st.info(proposal.line, icon=":material/speed:")
if proposal.error:
    st.error(literal(proposal.error), icon=":material/error:")

active = runs.active_runs()
if active:
    st.info(literal(f"{active[0].name} is {active[0].state}: runs train one at a time here. A new one waits in line "
                    "and starts by itself when the runs before it end."), icon=":material/hourglass_top:")
if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=not proposal.startable):
    try:
        run_dir = run_folder.create_run(proposal.config)
        jobs.start(training.TRAINING, run_dir, wait_in_line=True)
        st.session_state.focus_run = run_dir.name
        st.rerun()
    except (jobs.JobError, runs.RunError, corpus.CorpusError) as problem:
        st.error(literal(problem), icon=":material/error:")


# --- the live view -------------------------------------------------------------------
@fragment("the live view of the run", run_every=2)
def live_view():
    live = LiveRun()
    # The run's end refreshes the form and the table.
    if job_panel(training.TRAINING, live.label, remember="focus_run", header=live.header, progress=live.progress,
                 ended=live.ended, after=live.after, stopped_line=False, refresh_on_end=True,
                 unstarted=True) is None:
        st.caption("No runs yet. Choose a preset and press **Train**.")


live_view()


# --- all runs ------------------------------------------------------------------------
@fragment("the runs table", run_every=5)
def all_runs():
    st.subheader("All runs")
    infos = runs.list_runs()
    if not infos:
        st.caption("Runs appear here once started.")
        return
    table = pd.DataFrame([runs.table_row(info) for info in infos])
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                          key="runs_table",
                          column_config={name: st.column_config.NumberColumn(format="%.3f", help=help)
                                         for name, help in runs.TABLE_NUMBERS.items()})
    chosen = [infos[r] for r in (picked.selection.rows if picked else []) if r < len(infos)]
    if not chosen:
        st.caption("Select runs in the table to compare their curves, resume, evaluate, download or delete them.")
        return
    if len(chosen) > 1:
        overlay, unit = runs.compared_curves(chosen)
        axis = st.segmented_control("Compare by", ["step", "training time"], default="step", key="compare_axis")
        st.altair_chart(charts.runs_overlay(overlay, "seconds" if axis == "training time" else "step", unit),
                        width="stretch")
    run_actions(chosen[-1])


def run_actions(run):
    st.markdown(f"**{literal(run.name)}** — {run.state}, {run.steps:,} steps")
    st.caption(f"folder runs/{run.id}")
    cols = st.columns([3, 1], vertical_alignment="bottom")
    new_name = cols[0].text_input("Name", run.name, key=f"run-name-{run.id}")
    if cols[1].button("Rename", icon=":material/edit:", key=f"rename-{run.id}",
                      disabled=new_name == run.name or bool(demo)):
        try:
            runs.Run(run.path).rename(new_name)
            st.rerun(scope="app")
        except runs.RunError as problem:
            st.error(literal(problem), icon=":material/error:")
    cols, can = st.columns(4), runs.Actions.of(run)
    if can.damage:
        st.warning(can.damage, icon=":material/warning:")
    if can.orphaned:  # its corpus was deleted: it can still generate
        st.warning(literal(can.orphaned), icon=":material/link_off:")
    if cols[0].button("Resume", icon=":material/replay:", key=f"resume-{run.id}", disabled=not can.can_resume):
        continue_training(run)
    if cols[1].button("Validation loss now", icon=":material/query_stats:", key=f"evaluate-{run.id}",
                      disabled=not can.can_evaluate):
        with st.spinner("Evaluating the latest checkpoint on the held-out chunks…"):
            try:
                st.success(f"Validation loss at step {can.latest['step']:,}: {training.evaluate(run.path):.4f}")
            except (runs.RunError, corpus.CorpusError) as problem:
                st.error(literal(problem), icon=":material/error:")
    if can.checkpoint:
        cols[2].download_button("Download checkpoint", lambda path=can.checkpoint: path.read_bytes(),  # read on click
                                file_name=f"{run.id}-{can.checkpoint.name}", icon=":material/download:",
                                key=f"download-{run.id}")
    else:
        cols[2].caption("No checkpoint yet.")
    with cols[3].popover("Delete", icon=":material/delete:",
                         disabled=bool(run.status and run.status.active) or bool(demo)):
        st.write(f"Delete run **{run.id}** with its checkpoints and curves?")
        if st.button("Yes, delete", type="primary", key=f"delete-{run.id}"):
            runs.delete_run(run.path)
            st.rerun(scope="app")
    if runs.learning_samples(run.path):
        with st.expander("Samples while it learned"):
            learning_samples(run.path)


all_runs()
