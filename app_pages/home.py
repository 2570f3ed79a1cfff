"""Home: what namuweb does, the pipeline, and what this machine can do."""

import streamlit as st

from namuweb import config, system

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
      text -> tag -> sg; text -> vocab -> lstm -> gen;
    }
    """
)

st.subheader("Tools")
left, right = st.columns(2)
with left:
    st.markdown("**Vocabulary** — jamo tokens, counts and coverage of a corpus")
    st.caption("Turns every syllable into its jamo plus the end-of-syllable mark ᴥ, counts the tokens "
               "and numbers them as the tutorial does. Upload your own .txt or use the built-in corpus.")
    if st.button("Open Vocabulary", icon=":material/abc:"):
        st.switch_page("app_pages/vocabulary.py")
with right:
    st.markdown("**Coming next:** morpheme tagger · skip-gram explorer · char-LSTM training with live "
                "loss charts · temperature-controlled generator.")

st.subheader("This machine")
st.markdown(f"**Data directory:** `{config.data_home()}`")
java = system.java_status()
(st.success if java.ok else st.warning)(f"{java.summary} — {java.detail}", icon=":material/coffee:")


@st.cache_data(ttl=3600, show_spinner=False)
def tensorflow_status():
    return system.tensorflow_status()


@st.fragment
def tensorflow_panel():
    with st.spinner("Checking TensorFlow and GPUs…"):
        tf = tensorflow_status()
    (st.success if tf.ok else st.warning)(f"{tf.summary} — {tf.detail}", icon=":material/memory:")


tensorflow_panel()
