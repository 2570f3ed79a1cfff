"""Train: start a char-LSTM job, watch its loss live, manage runs."""

import pandas as pd
import streamlit as st

from namuweb.language_model import charlm, runs, trainer

from namuweb import charts, jobs, warmup

from namuweb.corpora import corpus
from namuweb.config import demo_settings
from namuweb.literal_text import literal
from namuweb.text.vocab_report import report
from app_pages._widgets import continue_training, corpus_picker, demo_notice, floor_notice, fragment, job_panel

st.title("Train a char-LSTM")
st.caption("The tutorial's model — Embedding → LSTM → Dense over jamo tokens — trained as a background job: "
           "reload the page or open another tab and the run is still there.")
demo = demo_settings()
demo_notice()


@st.cache_data(show_spinner=False, max_entries=32)
def corpus_tokens(corpus_id: str, created: str, tokenization: str) -> tuple[int, int]:
    found = corpus.get_corpus(corpus_id)
    figures = report(found, jamo=tokenization == "jamo")
    return figures.tokens, figures.vocab.size


# --- a new run ---------------------------------------------------------------------
left, right = st.columns([2, 1])
chosen = corpus_picker("Corpus", corpus.list_corpora(), where=left)
corpus_id = chosen.id
preset = right.segmented_control("Preset", charlm.PRESET_NAMES, default="demo",
                                 format_func=lambda p: charlm.PRESET_LABELS[p], key="preset") or "demo"
defaults = charlm.preset_settings(preset)
settings = dict(defaults)
settings["tokenization"] = st.segmented_control(
    "Tokens", charlm.TOKENIZATIONS, default="jamo", key="tokenization",
    format_func={"jamo": "jamo + ᴥ (the tutorial's)", "syllables": "whole syllables"}.get,
    help="The tutorial splits each syllable into its jamo and an end mark, so the model sees about 150 kinds of "
         "token instead of about 2,000 syllables. Train one run of each and compare their validation loss in bits "
         "per character below.") or "jamo"
with st.expander("Settings" + (" (edit)" if preset == "custom" else f" of the {charlm.PRESET_LABELS[preset]} preset"),
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
    budgets = {"epochs": "Epochs", "steps": "Steps", "time": "Seconds of training"}
    preset_budget = "time" if defaults.get("max_seconds") else "epochs" if defaults["epochs"] else "steps"
    budget = cols[0].radio("Budget", list(budgets), index=list(budgets).index(preset_budget), horizontal=True,
                           disabled=not editable, help="time: train until that many seconds have passed since "
                                                       "the job started, however many steps that is")
    default_amount = {"epochs": defaults["epochs"] or 1, "steps": defaults["steps"] or 100,
                      "time": int(defaults.get("max_seconds") or 60)}[budget]
    amount = cols[1].number_input(budgets[budget], 1, 10_000_000, default_amount, disabled=not editable)
    settings["epochs"], settings["steps"], settings["max_seconds"] = {
        "epochs": (amount, None, None), "steps": (None, amount, None), "time": (None, None, amount)}[budget]
    settings["seed"] = cols[2].number_input("Seed", 0, 2**31 - 1, 0, disabled=not editable)
    settings["schedule"] = cols[3].selectbox("Rate schedule", charlm.SCHEDULES,
                                             index=charlm.SCHEDULES.index(defaults.get("schedule", "constant")),
                                             disabled=not editable, help="constant, or a cosine decay to a tenth "
                                                                         "of the rate over the budget")
    settings["mixed_precision"] = cols[4].toggle("Mixed precision", False, disabled=not editable,
                                                 help="float16 compute with float32 weights: faster on GPUs, "
                                                      "no gain on CPUs")

error = None
try:
    config = charlm.TrainConfig(corpus=corpus_id, preset=preset, **settings).validated()
except ValueError as problem:
    config, error = None, str(problem)

tf = warmup.available("tensorflow")  # None while a fresh server still checks it in the background
if tf is None:
    device = "still checking (TensorFlow is starting)"
else:
    device = ("GPU: " + tf.detail) if tf.ok and "GPU" in tf.detail and "no GPU" not in tf.detail else "CPU"
if config:
    plan = runs.plan_run(config, *corpus_tokens(corpus_id, chosen.created, config.tokenization))
    error = plan.problem
    if plan.time_budget_only:
        this_run = (f"this run: **{jobs.format_seconds(plan.seconds)}** from start to a finished model, "
                    f"about {plan.steps_within_budget:,} steps")
    else:
        this_run = f"this run: {plan.steps:,} steps ≈ {jobs.format_seconds(plan.seconds)} from start to a finished model"
    if plan.feasible:
        st.info(f"**Device:** {device if tf is None or tf.ok else 'TensorFlow unavailable — ' + tf.detail} · "
                f"**{plan.steps_per_epoch:,} steps per epoch** · about "
                f"**{jobs.format_seconds(plan.steps_per_epoch * plan.seconds_per_step)} per epoch** · "
                f"{this_run} (estimated from this machine's recent runs)", icon=":material/speed:")
if error:
    st.error(literal(error), icon=":material/error:")

active = runs.active_runs()
if active:
    st.info(literal(f"{active[0].name} is {active[0].state}: runs train one at a time here. A new one waits in line "
                    "and starts by itself when the runs before it end."), icon=":material/hourglass_top:")
if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=bool(error or (tf is not None and not tf.ok))):
    try:
        run_dir = runs.create_run(config)
        jobs.start(trainer.TRAINING, run_dir, wait_in_line=True)
        st.session_state.focus_run = run_dir.name
        st.rerun()
    except (jobs.JobError, runs.RunError, corpus.CorpusError) as problem:
        st.error(literal(problem), icon=":material/error:")


# --- the live view -------------------------------------------------------------------
class LiveRun:
    """The live view's parts of the run the job panel picked (the run last started here while it is active,
    else the active run, else the one last started here, else the newest): one run's curves read per view."""

    def __init__(self):
        self.info = self.metrics = self.where = None

    def header(self, run_dir, status) -> None:
        self.info = runs.run_info(run_dir)
        self.metrics = runs.Run(run_dir).metrics()
        self.where = runs.progress(self.info, self.metrics)
        run_figures(self.info, self.metrics, self.where)

    def label(self, run_dir, status) -> str:
        return f"Training on {self.info.device or 'starting…'}"

    def progress(self, run_dir, status) -> jobs.Progress:
        return self.where

    def ended(self, run_dir, status) -> bool:
        """A run below its quality floor says so, and offers to continue (not a failure line)."""
        if self.info.below_floor and self.info.state in ("stopped", "finished"):
            floor_notice(self.info, key="live")
            return True
        return False

    def after(self, run_dir, status) -> None:
        run_curves(self.info, self.metrics)


@fragment("the live view of the run", run_every=2)
def live_view():
    live = LiveRun()
    # The run's end refreshes the form and the table.
    if job_panel(trainer.TRAINING, live.label, remember="focus_run", header=live.header, progress=live.progress,
                 ended=live.ended, after=live.after, stopped_line=False, refresh_on_end=True,
                 unstarted=True) is None:
        st.caption("No runs yet. Choose a preset and press **Train**.")


def run_figures(info, metrics, where) -> None:
    where = runs.progress(info, metrics)
    st.subheader(literal(info.name))
    val = metrics["val_loss"].dropna() if "val_loss" in metrics else metrics.iloc[0:0]
    last_val = float(val.iloc[-1]) if len(val) else None
    bits = runs.bits_per_char(last_val, info.config.get("tokens_per_char"))
    step, total, loss = where.extra["step"], where.extra["total_steps"], where.extra["loss"]
    step_budget = total and total < charlm.UNBOUNDED_STEPS  # not only a time budget
    cols = st.columns(7)
    cols[0].metric("State", info.state)
    cols[1].metric("Step", f"{step:,} / {total:,}" if step_budget else f"{step:,}",
                   help=f"epoch {where.extra['epoch']}")
    cols[2].metric("Loss", f"{loss:.3f}" if loss is not None else "–",
                   help="training loss of the last step, nats per jamo token")
    cols[3].metric("Val loss", f"{last_val:.3f}" if last_val is not None else "–",
                   help="on a fixed sample of held-out text, nats per jamo token")
    cols[4].metric("Bits/char", f"{bits:.2f}" if bits is not None else "–",
                   help="the validation loss in bits per character of the text: comparable across tokenizations")
    cols[5].metric("Tokens/s", f"{where.extra['tokens_per_s']:,.0f}" if where.extra["tokens_per_s"] else "–")
    startup = metrics["startup_s"].dropna() if "startup_s" in metrics else metrics.iloc[0:0]
    cols[6].metric("Start-up", f"{startup.iloc[-1]:.1f} s" if len(startup) else "–",
                   help="from pressing Train to the end of the first training step (starting TensorFlow, building the "
                        "model and tracing its step); a time budget counts only the training after it")


def run_curves(info, metrics) -> None:
    st.altair_chart(charts.loss_chart(runs.curves(metrics), title=f"Loss · {info.config.get('corpus_name', '')}"),
                    width="stretch")
    if "kept_step" in metrics and metrics["kept_step"].notna().any():
        kept = metrics.dropna(subset=["kept_step"]).iloc[-1]
        st.caption(f"The model overfitted after step {int(kept['kept_step']):,}: its checkpoint holds the weights of "
                   f"that step, the best validation loss of the run ({kept['kept_val_loss']:.3f}).")


live_view()


# --- all runs ------------------------------------------------------------------------
@fragment("the runs table", run_every=5)
def all_runs():
    st.subheader("All runs")
    infos = runs.list_runs()
    if not infos:
        st.caption("Runs appear here once started.")
        return
    table = pd.DataFrame([{
        "name": i.name, "state": i.state,
        "quality floor": "–" if i.config.get("quality_floor") is None or (i.status and i.status.active)
        else "below" if i.below_floor else "reached",
        "corpus": i.config.get("corpus_name", i.config.get("corpus")),
        "preset": charlm.PRESET_LABELS.get(i.config.get("preset"), i.config.get("preset")),
        "tokens": i.config.get("tokenization", "jamo"),
        "steps": i.steps, "best val loss": i.best_val_loss, "bits/char": i.best_val_bits_per_char,
        "last loss": i.last_loss,
        "duration": jobs.format_seconds(i.duration) if i.duration is not None else "–", "device": i.device,
    } for i in infos])
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                          key="runs_table",
                          column_config={"best val loss": st.column_config.NumberColumn(
                                             format="%.3f", help="nats per token (jamo or syllable), on held-out text"),
                                         "bits/char": st.column_config.NumberColumn(
                                             format="%.3f", help="the same loss in bits per character of the "
                                                                 "text: comparable across tokenizations"),
                                         "last loss": st.column_config.NumberColumn(format="%.3f")})
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
    cols = st.columns(4)
    from namuweb.language_model import checkpoints
    inspection = checkpoints.inspect(run.path)
    if damage := checkpoints.resume_message(inspection):
        st.warning(damage, icon=":material/warning:")
    try:
        runs.Run(run.path).corpus()
        orphaned = False
    except runs.RunError as problem:  # its corpus was deleted: it can still generate
        st.warning(literal(problem), icon=":material/link_off:")
        orphaned = True
    if cols[0].button("Resume", icon=":material/replay:", key=f"resume-{run.id}",
                      disabled=run.state not in ("stopped", "interrupted", "failed")
                      or not inspection.resumable or orphaned):
        continue_training(run)
    latest = runs.Run(run.path).latest_checkpoint()
    if cols[1].button("Validation loss now", icon=":material/query_stats:", key=f"evaluate-{run.id}",
                      disabled=latest is None or bool(run.status and run.status.active) or orphaned):
        with st.spinner("Evaluating the latest checkpoint on the held-out chunks…"):
            try:
                st.success(f"Validation loss at step {latest['step']:,}: {trainer.evaluate(run.path):.4f}")
            except (runs.RunError, corpus.CorpusError) as problem:
                st.error(literal(problem), icon=":material/error:")
    if latest:
        checkpoint = runs.Run(run.path).checkpoints_dir / latest["file"]
        cols[2].download_button("Download checkpoint", lambda path=checkpoint: path.read_bytes(),  # read on click
                                file_name=f"{run.id}-{latest['file']}", icon=":material/download:",
                                key=f"download-{run.id}")
    else:
        cols[2].caption("No checkpoint yet.")
    with cols[3].popover("Delete", icon=":material/delete:",
                         disabled=bool(run.status and run.status.active) or bool(demo)):
        st.write(f"Delete run **{run.id}** with its checkpoints and curves?")
        if st.button("Yes, delete", type="primary", key=f"delete-{run.id}"):
            runs.delete_run(run.path)
            st.rerun(scope="app")


all_runs()
