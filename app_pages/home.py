"""Home: what namuweb does, the pipeline, and what this machine can do."""

import streamlit as st

from namuweb import config, machine, warmup
from namuweb.language_model.settings import quick_demo_time
from app_pages._widgets import fragment

st.title("namuweb")
st.markdown(
    "Explore Korean text the way the classic **Namuwiki RNN tutorial** does — "
    "morphemes, jamo, embeddings and a character-level language model — in the browser."
)

st.subheader("The pipeline")
st.graphviz_chart(
    """
    digraph {
      rankdir=LR; bgcolor="transparent";
      node [shape=box, style="rounded,filled", fillcolor="#e8f5e9", color="#2e7d32", fontname="sans-serif"];
      text [label="Korean text\\n(corpus)", fillcolor="#ffffff"];
      tag [label="Tag morphemes\\n나무/Noun 위키/Noun"];
      vocab [label="Jamo vocabulary\\nㅎㅏㄴᴥㄱㅜㄱᴥ"];
      sg [label="Skip-gram\\nword embeddings"];
      lstm [label="Char-LSTM\\nlanguage model"];
      gen [label="Generate text\\n(temperature)"];
      look [label="Inspect the model\\n(surprisal, cells)"];
      text -> tag -> sg; text -> vocab -> lstm -> gen; lstm -> look;
    }
    """
)

st.subheader("Tools")
TOOLS = [
    ("app_pages/corpora.py", "Corpora", ":material/library_books:",
     "The corpus library every page uses: upload text, import a Namuwiki dump, preview, rename, download."),
    ("app_pages/tagger.py", "Tagger", ":material/label:",
     "Split Korean into morphemes with konlpy's taggers or Kiwi, compare engines, tag a whole corpus."),
    ("app_pages/embeddings.py", "Embeddings", ":material/scatter_plot:",
     "Train skip-gram word vectors on a tagged corpus; explore neighbours, analogies and a map."),
    ("app_pages/vocabulary.py", "Vocabulary", ":material/abc:",
     "Every syllable becomes its jamo plus the end-of-syllable mark ᴥ; see the tokens, their counts and coverage, "
     "numbered as the tutorial numbers them. Upload your own .txt or use the built-in corpus."),
    ("app_pages/train.py", "Train", ":material/model_training:",
     "Train the tutorial's char-LSTM as a background job and watch its loss fall live; the quick demo takes "
     f"{quick_demo_time()}."),
    ("app_pages/generate.py", "Generate", ":material/edit_note:",
     "Type a Korean start, move the temperature slider, and read new text appear; or write with the model, "
     "one token at a time."),
    ("app_pages/inspect.py", "Inspect", ":material/biotech:",
     "See a text as the model reads it: how surprised it is by each character, and which cells track "
     "parentheses, quotes or the place in a syllable."),
]
columns = st.columns(4) + st.columns(4)
for column, (path, title, icon, blurb) in zip(columns, TOOLS):
    with column:
        st.markdown(f"**{title}**")
        st.caption(blurb)
        if st.button(f"Open {title}", icon=icon, key=f"open-{title}"):
            st.switch_page(path)

st.subheader("This machine")
st.markdown(f"**Data directory:** `{config.data_home()}`")
java = machine.java_status()
(st.success if java.ok else st.warning)(f"{java.summary} — {java.detail}", icon=":material/coffee:")


# TensorFlow takes seconds to import, so a server checks it in the background as it starts; until
# then the panel says so and looks again every 2 s, and the rest of the page is not held up.
tensorflow_pending = warmup.available("tensorflow") is None


@fragment("the TensorFlow panel", run_every=2.0 if tensorflow_pending else None)
def tensorflow_panel():
    tf = warmup.available("tensorflow")
    if tf is None:
        st.info(f"{warmup.state('tensorflow').label}… (TensorFlow is starting in the background)",
                icon=":material/hourglass_top:")
    elif tensorflow_pending:
        st.rerun()  # once: the whole page again, now without the poll
    else:
        (st.success if tf.ok else st.warning)(f"{tf.summary} — {tf.detail}", icon=":material/memory:")


tensorflow_panel()
