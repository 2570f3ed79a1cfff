"""Generate: new Korean text from a trained model, with a temperature knob."""

import streamlit as st

from namuweb.language_model import generate, runs, sampling, settings as lm, training
from namuweb.language_model.decoding import Decoding

from namuweb import jobs

from namuweb.corpora import corpus
from namuweb.config import demo_settings
from namuweb.literal_text import literal
from app_pages import _generate_views as views
from app_pages._widgets import demo_notice, floor_notice, fragment, job_panel, model_picker

STOPS = {None: "the length", "sentence": "the end of a sentence", "line": "a new line"}  # Stop at's choices

st.title("Generate text")
st.caption("A trained char-LSTM writes on from your start text, one jamo at a time; the jamo are put back "
           "together into syllables as they arrive. Branch from any character it wrote, or write with it a syllable "
           "at a time.")
demo = demo_settings()
demo_notice()


def run_progress(run_dir, status) -> jobs.Progress:
    """A run's progress from its metrics (its rate from the recent steps)."""
    info = runs.run_info(run_dir, status)
    return runs.progress_from_metrics(info, runs.Run(run_dir).metrics())


@fragment("the quick demo's training", run_every=2)
def demo_training():
    # Generation opens when it has ended: the page reruns then.
    if job_panel(training.TRAINING, "Training the quick demo", only_active=True, progress=run_progress,
                 refresh_on_end=True) is None:
        st.rerun(scope="app")


usable = generate.usable_runs()
if not usable:
    active = runs.active_runs()
    if active:
        st.info("A model is training. Generation opens here as soon as it has a checkpoint.",
                icon=":material/hourglass_top:")
        demo_training()
    else:
        st.info(f"No trained model yet. The quick demo trains one on the built-in corpus in {lm.quick_demo_time()}; "
                "generation opens here when it finishes.", icon=":material/info:")
        if st.button("Train the quick demo", type="primary", icon=":material/play_arrow:",
                     disabled=not demo.training_allowed):
            try:
                jobs.start(training.TRAINING, runs.create_run(lm.TrainConfig.from_preset(corpus.BUILTIN_ID, "demo")), wait_in_line=True)
                st.rerun()
            except (jobs.JobError, runs.RunError) as problem:  # shown, not wiped by a rerun
                st.error(literal(problem), icon=":material/error:")
    st.stop()


run = model_picker("Model", usable)
floor_notice(run, key="generate")
try:
    generator = sampling.Model(run.path)  # the network runs in a sampler process, never in the server's
except runs.RunError as problem:  # a damaged checkpoint, or a vocabulary that is not this model's
    st.error(f"This model cannot generate: {literal(problem)}", icon=":material/error:")
    st.stop()
except sampling.GenerationError as problem:
    st.error(f"The model could not be loaded: {literal(problem)}", icon=":material/error:")
    st.stop()

if "start_text" not in st.session_state:
    st.session_state.start_text = generate.DEFAULT_START
start = st.text_input("Start text", key="start_text", max_chars=500)
left, middle, right = st.columns(3)
temperature = left.slider("Temperature", 0.0, 2.0, 0.8, step=0.05,
                          help="0 always picks the most likely next token; higher values take more risks.")
left.caption("0 = always the most likely token · 1 = the model's own odds · above 1 = wilder")
length = middle.slider("Length (characters)", 10, 1000, 200, step=10)
sample_count = right.number_input("Samples side by side", 1, 4, 1)
with st.expander("More options"):
    cols = st.columns(4)
    top_k = cols[0].number_input("Top-k (0 = off)", 0, generator.vocab.size, 0)
    top_p = cols[1].slider("Top-p (1 = off)", 0.05, 1.0, 1.0, step=0.05)
    fixed_seed = cols[2].toggle("Fixed seed", False, help="Off: every press draws a new seed (shown with the text). "
                                                         "On: the seed below, so the same text comes again.")
    seed = cols[2].number_input("Seed", 0, 2**31 - 1, 1, disabled=not fixed_seed, key="seed",
                                help="The same seed, model, start text and settings give the same text.")
    show_jamo = cols[3].toggle("Show the jamo stream", False)
    cols = st.columns(4)
    jamo_model = generator.vocab.tokenizer == "jamo"
    well_formed = cols[0].toggle("Whole syllables only", True, disabled=not jamo_model,
                                 help="On: the model may only write what makes whole syllables (initial, vowel, "
                                      "optional final), its odds renormalised over that, so no loose jamo. Off: "
                                      "its raw odds, to compare." if jamo_model else
                                      "This model writes whole characters already.")
    repetition_penalty = cols[1].number_input(
        "Repetition penalty (1 = off)", 1.0, 3.0, 1.0, step=0.05,
        help="A syllable already in the text has its logit divided by this (multiplied, if negative): "
             "above 1 the model repeats itself less. Spaces and punctuation are never penalised.")
    no_repeat_ngram = cols[2].number_input(
        "No repeated n-gram (0 = off)", 0, 10, 0,
        help="Never write a syllable that would repeat a run of this many characters already in the text.")
    stop_at = cols[3].selectbox("Stop at", list(STOPS), format_func=STOPS.get,
                                help="End each sample at the end of its first sentence or line; the length "
                                     "is then the most it writes.")
    decoding = Decoding(well_formed=well_formed, repetition_penalty=float(repetition_penalty),
                        no_repeat_ngram=int(no_repeat_ngram), stop_at=stop_at)
    own = st.toggle("A temperature per sample", False, disabled=sample_count == 1)
    temperatures = [temperature] * sample_count
    if own and sample_count > 1:
        cols = st.columns(sample_count)
        temperatures = [cols[i].slider(f"Sample {i + 1}", 0.0, 2.0, round(min(2.0, 0.4 + 0.4 * i), 2), step=0.05,
                                       key=f"temperature-{i}") for i in range(sample_count)]

try:
    prepared = generate.prepare_start(start, generator.vocab)
except generate.StartTextError as problem:
    st.error(f"Cannot start from this text: {literal(problem)}.", icon=":material/error:")
    st.stop()
if prepared.missing:
    what = "mapped to `<unk>`" if prepared.mapped_to_unk else "skipped"
    left_over = (" Nothing of the start text is left, so the model begins as if at the start of a new line."
                 if start.strip() and not prepared.text.strip() else "")
    st.warning("This model has never seen " + ", ".join(f"`{c}`" if c != "`" else literal(c) for c in prepared.missing)
               + f" — {what}; generation still runs." + left_over, icon=":material/warning:")
if not start.strip():
    st.caption("Empty start: the model begins as if at the start of a new line.")


options = {"top_k": int(top_k), "top_p": top_p, "decoding": decoding}  # More options' settings, for every generation and branch
views.generated_text(generator, run, start, temperatures, length, options, int(seed) if fixed_seed else None,
                     show_jamo)
views.write_with_the_model(generator, run, start, temperature, int(top_k), top_p)
