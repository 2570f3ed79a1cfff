"""The Generate page's parts below its settings, one function each: the generated text (streamed, finished,
copied, branched from any character, coloured by surprisal) and writing with the model a syllable at a time.

Visual components apart from the page (as ``_embedding_views.py`` keeps the Embeddings page's tabs): the
page reads its settings top to bottom and calls these; the answers come from ``namuweb.language_model``
(in sampler processes), nothing here computes them.  Every text is shown exactly as written, in the page's
proportional type (``heatmaps.plain_text``): the same while it streams and once it is done.
"""

import secrets

import streamlit as st

from namuweb import charts, heatmaps
from namuweb.language_model import generate, inspection, runs, sampling
from namuweb.literal_text import literal
from namuweb.text import hangul
from namuweb.text.vocab import tokenize
from app_pages._widgets import fragment, rerun_this_part

SURPRISAL_STOPS = [(heatmaps.surprisal_colour(b), f"{b:g} bits") for b in (0, 2, 4, 8, 12)]


def show(text: str, *, mark: int | None = None, cursor: bool = False, kind: str = "sample") -> None:
    st.html(heatmaps.plain_text(text, mark=mark, cursor=cursor, extra_class=f"namuweb-{kind}"))


@fragment("the generated text")
def generated_text(generator: sampling.Model, run, start: str, temperatures: list[float], length: int,
                   options: dict, fixed_seed: int | None, show_jamo: bool) -> None:
    """The Generate button and its text: a press reruns this part alone, not the page's chart and controls.
    ``options``: what More options passes to every generation (top-k, top-p …), a branch's too."""
    if st.button("Generate", type="primary", icon=":material/edit_note:"):
        drawn = fixed_seed if fixed_seed is not None else secrets.randbelow(2**31)  # fresh on every press
        boxes = [(col.empty(), col.empty()) for col in st.columns(len(temperatures))]

        def show_growing(samples: list[tuple[str, str]]) -> None:
            for (text_box, jamo_box), (text, jamo), t in zip(boxes, samples, temperatures):
                with text_box.container():
                    st.markdown(f"**temperature {t:g}**")
                    show(text, cursor=True)
                if show_jamo:
                    jamo_box.caption(literal(jamo))
        try:
            samples = generator.stream(start, length, temperatures, seed=drawn, on_update=show_growing, **options)
            st.session_state.generated = {"run": run.id, "temperatures": temperatures, "samples": samples,
                                          "seed": drawn, "options": options}
            st.session_state.pop("generated_original", None)
        except sampling.GenerationError as problem:
            st.error(f"No text this time: {literal(problem)}", icon=":material/error:")
        for text_box, jamo_box in boxes:
            text_box.empty()
            jamo_box.empty()
    result = st.session_state.get("generated")
    if result and result["run"] == run.id:
        finished(generator, run, result, show_jamo)


@st.cache_resource(show_spinner="The model reads the text…", max_entries=8)
def inspected(run_dir: str, checkpoint: str, text: str) -> inspection.Inspection:
    return sampling.inspect(run_dir, text)  # in a sampler process, as the Inspect page reads


def hover(entry: inspection.CharacterSurprisal) -> str:
    if entry.bits is None:
        return f"{entry.char}: the model has no token for it"
    guesses = " · ".join(f"{charts.token_label(t)} {p:.0%}" for t, p in entry.guesses)
    return f"{charts.token_label(entry.char)}: {entry.bits:.1f} bits\nexpected: {guesses}"


def surprisal(run, text: str) -> None:
    try:
        read = inspected(str(run.path), runs.Run(run.path).latest_checkpoint()["file"], text)
    except (runs.RunError, sampling.GenerationError) as problem:
        st.error(f"The surprisal did not come: {literal(problem)}", icon=":material/error:")
        return
    chars = read.characters
    st.html(heatmaps.coloured_text([c.char for c in chars], [heatmaps.surprisal_colour(c.bits) for c in chars],
                                   [hover(c) for c in chars], classes="namuweb-text namuweb-surprisal"))


def finished(generator: sampling.Model, run, result: dict, show_jamo: bool) -> None:
    """The finished samples, each with its copy box; the seed, the download, and branching."""
    coloured = st.toggle("Colour by surprisal", key="colour_by_surprisal",
                         help="each character on its surprisal in bits (the model's own odds of it), as Inspect shows")
    marked = (branched_sample(result), st.session_state.get("branch_character", 1) - 1)
    for i, (col, sample, t) in enumerate(zip(st.columns(len(result["samples"])), result["samples"],
                                             result["temperatures"])):
        with col:
            st.markdown(f"**temperature {t:g}** · {len(sample.continuation)} new characters · repeated 4-grams "
                        f"{sample.repeated_4gram_share:.0%}")
            if coloured:
                surprisal(run, sample.text)
            else:
                show(sample.text, mark=len(sample.start) + marked[1] if marked[0] == i else None)
            if show_jamo:
                st.caption("jamo stream")
                show(sample.stream, kind="jamo")
            with st.expander("Copy"):
                st.code(sample.text, language=None, wrap_lines=True)
    if coloured:
        st.html(heatmaps.legend(SURPRISAL_STOPS))
    st.caption(f"Seed {result['seed']}: turn on **Fixed seed** under More options and enter it to get this text "
               "again.")
    st.download_button("Download text", "\n\n".join(s.text for s in result["samples"]),
                       file_name=f"namuweb-{run.id}.txt", icon=":material/download:")
    branching(generator, result)


def branching(generator: sampling.Model, result: dict) -> None:
    """Any character of a sample: what the model expected there, and the text again from there with another."""
    st.markdown("**Branch from a character**: what else could the model have written there?")
    samples = result["samples"]
    cols = st.columns([1, 1, 2])
    names = sample_names(result)
    st.session_state.branch_sample = names[branched_sample(result)]
    which = names.index(cols[0].selectbox("Sample", names, key="branch_sample"))
    sample = samples[which]
    if not sample.continuation:
        return
    if st.session_state.get("branch_character", 1) > len(sample.continuation):
        st.session_state.branch_character = len(sample.continuation)
    position = cols[1].number_input("Character", 1, len(sample.continuation), key="branch_character",
                                    help="which new character of the sample (1 = the first after the start text)") - 1
    written = sample.continuation[position]
    written_tokens = tokenize(written, generator.vocab.tokenizer)
    try:
        # the text before it as a start text: a loose jamo in it is a whole character, not a syllable to complete
        found = generator.syllable_choices(sample.start + sample.continuation[:position], 1.0, include=[written_tokens])
    except sampling.GenerationError as problem:
        st.error(f"The model's odds did not come: {literal(problem)}", icon=":material/error:")
        return
    rows = [{"label": c.text, "tokens": c.tokens, "temperature 1": c.probability} for c in found]
    event = st.altair_chart(charts.choice_chart(rows, title=f"What the model expected at character {position + 1}",
                                                marked=written_tokens, log_scale=st.session_state.get("choice_log", False)),
                            on_select="rerun", width="stretch", key=f"branch-{which}-{position}")
    clicked = clicked_in(event, "tokens")
    by_tokens = {c.tokens: c for c in found}
    if clicked in by_tokens and clicked != st.session_state.get("branch_clicked"):  # a new click, not its echo
        st.session_state.branch_with = clicked
    st.session_state.branch_clicked = clicked
    if st.session_state.get("branch_with") not in by_tokens:
        st.session_state.branch_with = next((c.tokens for c in found if c.tokens != written_tokens), written_tokens)
    choice = by_tokens[cols[2].selectbox(
        "Continue with", list(by_tokens), key="branch_with",
        format_func=lambda tokens: f"{charts.token_label(by_tokens[tokens].text)} · "
                                   f"{by_tokens[tokens].probability:.1%}" + (" (written here)" if tokens == written_tokens else ""))]
    st.caption(literal(f"Character {position + 1} is {charts.token_label(written)}; the model gave it "
                       f"{by_tokens[written_tokens].probability:.1%}. Click a column or pick one, then continue."))
    cols = st.columns([2, 2, 3])
    if cols[0].button("Continue from here", icon=":material/call_split:", type="primary",
                      help="keep the text up to this character, write the one picked, and generate on from there"):
        try:
            branched = continue_from(generator, sample, result["temperatures"][which], position, choice.text,
                                     result.get("options", {}))
        except sampling.GenerationError as problem:
            st.error(f"No text this time: {literal(problem)}", icon=":material/error:")
        else:
            st.session_state.setdefault("generated_original", result)
            st.session_state.generated = dict(result, samples=[branched if i == which else s
                                                               for i, s in enumerate(samples)])
            rerun_this_part()
    if st.session_state.get("generated_original") and cols[1].button("Back to the original", icon=":material/undo:"):
        st.session_state.generated = st.session_state.pop("generated_original")
        rerun_this_part()


def sample_names(result: dict) -> list[str]:
    return [f"{i + 1} · temperature {t:g}" for i, t in enumerate(result["temperatures"])]


def branched_sample(result: dict) -> int:
    """Which sample the visitor branches from (the Sample box's choice; the first where it names none of these)."""
    names = sample_names(result)
    chosen = st.session_state.get("branch_sample")
    return names.index(chosen) if chosen in names else 0


def continue_from(generator: sampling.Model, sample: generate.Sample, temperature: float, position: int,
                  text: str, options: dict) -> generate.Sample:
    """``sample`` up to character ``position`` of its continuation, then ``text``, then as many new characters
    as it had after that point, generated from there."""
    kept = sample.continuation[:position] + text
    tokens = list(tokenize(kept, generator.vocab.tokenizer))
    remaining = len(sample.continuation) - len(kept)
    if remaining > 0:
        [grown] = generator.stream(sample.start + kept, remaining, [temperature], seed=secrets.randbelow(2**31),
                                   **options)
        tokens += grown.tokens
    return generate.Sample(start=sample.start, tokens=tokens, tokenizer=sample.tokenizer)


def clicked_in(event, field: str):
    """The ``field`` of the column a chart's selection ``pick`` holds (None: no click); read as a mapping,
    which is what the chart returns, a click from a browser or a state a test sets alike."""
    selection = (event or {}).get("selection") or {}
    return ((selection.get("pick") or [{}])[0] or {}).get(field)


def pick_label(pick: str) -> str:
    """One click's tokens as the Picked line shows them: a whole syllable as itself, else its tokens."""
    composed = hangul.compose(pick)
    if pick.endswith(hangul.MARK) and len(composed) == 1 and hangul.is_syllable(composed):
        return composed
    return "".join(charts.token_label(t) for t in pick)


def write_with_the_model(generator: sampling.Model, run, start: str, temperature: float, top_k: int,
                         top_p: float) -> None:
    """The next-syllable (or next-jamo) chart: a click writes its choice and the chart asks what follows."""
    st.subheader("Write with the model, a syllable at a time")
    # The clicks (each one's tokens) after the start text; another model or start text begins anew.
    writing = st.session_state.get("writing")
    if not writing or writing["run"] != run.id or writing["start"] != start:
        writing = st.session_state.writing = {"run": run.id, "start": start, "picks": []}
    picks = writing["picks"]
    turn = writing.setdefault("turn", 0)  # one more with every change: a chart key never comes back
    tokens = list("".join(picks))
    cols = st.columns([2, 1])
    jamo = generator.vocab.tokenizer == "jamo" and cols[0].radio(
        "Choices", ["whole syllables", "jamo"], horizontal=True, key="choice_view",
        help="whole syllables: the likeliest next syllables (their jamo's odds multiplied); jamo: one token at a time"
    ) == "jamo"
    log_scale = cols[1].toggle("Log scale", key="choice_log", help="unlikely choices stay visible beside a favourite")
    try:
        if jamo:
            table = generator.next_token_table(start, temperature, top_k, top_p, after=tokens)
            chart, field = charts.next_token_chart(table, pickable=True, log_scale=log_scale), "token"
        else:
            found = generator.syllable_choices(start, temperature, top_k, top_p, after=tokens)
            rows = [{"label": c.text, "tokens": c.tokens, "temperature 1": c.probability,
                     f"your temperature {temperature:g}": c.tuned} for c in found]
            chart, field = charts.choice_chart(rows, title="Next syllable: click one to write it",
                                               log_scale=log_scale), "tokens"
    except sampling.GenerationError as problem:
        st.error(f"The next-token odds did not come: {literal(problem)}", icon=":material/error:")
        return
    view = "jamo" if jamo else "syllable"
    event = st.altair_chart(chart, on_select="rerun", width="stretch",
                            key=f"next-{view}-{run.id}-{turn}")  # a new key per click: each counts once
    chosen = clicked_in(event, field)
    if chosen:
        picks.append(chosen)
        writing["turn"] += 1
        st.rerun()
    st.caption(("The model's ten most likely next tokens" if jamo else "The model's likeliest next syllables (each "
                "the product of its jamo's odds, ᴥ included), spaces and signs")
               + " at temperature 1 (grey) and at your temperature (green): low temperatures sharpen the favourite, "
               "high ones flatten the odds. Click a column to write it and see what the model expects next.")
    show(generator.written(start, tokens), cursor=True, kind="written")
    if picks:
        st.caption(literal("Picked: " + " ".join(pick_label(p) for p in picks[-40:])
                           + (f" (and {len(picks) - 40} before)" if len(picks) > 40 else "")))
    cols = st.columns([1, 1, 2, 4])
    if cols[0].button("Undo", icon=":material/undo:", disabled=not picks, help="takes back the last click, "
                      "a whole syllable"):
        picks.pop()
        writing["turn"] += 1
        st.rerun()
    if cols[1].button("Clear", icon=":material/clear:", disabled=not picks):
        picks.clear()
        writing["turn"] += 1
        st.rerun()

    def use_as_start() -> None:
        st.session_state.start_text = generator.written(start, tokens)
    cols[2].button("Use as start text", icon=":material/input:", disabled=not picks, on_click=use_as_start)
