"""Word2vec skip-gram with negative sampling, as the tutorial explains it.

For every centre word ``c`` each word ``o`` within its window is a positive
pair and ``k`` words drawn from the unigram distribution raised to the ¾
power are negatives; the loss of one pair is

    −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)

with ``v`` the input (centre) vectors we keep and ``u`` the output vectors.

What word2vec does and we copy, so results compare with gensim:

* the window is dynamic: each centre draws its size uniformly in 1..window,
  so near words count more often than far ones;
* frequent words are subsampled *before* windowing (keep probability
  ``(√(f/t)+1)·t/f`` for frequency ``f`` and threshold ``t``), which both
  speeds training up and widens the effective window;
* words under ``min_count`` are removed from the sentences, not masked;
* plain SGD whose learning rate decays linearly to 0.0001× its start over
  the (estimated) total number of steps.  We
  keep SGD rather than Adam because only the rows a batch touches are
  updated (sparse scatter updates; Adam would need dense moment tables of
  2×V×D and touch them every step) and because the tutorial's numbers are
  word2vec's.

What we do differently, for speed in Python: the pairs of a block of
sentences are generated at once in NumPy (one vectorised pass per window
offset, no per-pair loop), shuffled, and fed to a graph loop that runs up to
128 SGD steps of ~1000 pairs per Python call.  Each step draws its negatives from
a word2vec-style unigram table and applies the closed-form gradients with
sparse scatter updates to the rows it touched.  By default a step draws K
negatives (``shared_negatives``) that all its pairs share, each weighted k/K,
as TensorFlow's sampled losses share theirs across a batch: the expected loss
of every pair is word2vec's, and the step's scores and gradients become small
matmuls instead of k gathered rows per pair (``shared_negatives=0`` draws k per
pair, exactly as word2vec does; ``bench/skipgram.py`` compares both).  The gradients of a batch
are summed (each pair contributes what sequential SGD would have), so the
learning rate means the same as word2vec's per pair, and the defaults are
word2vec's (rate 0.025, 5 epochs, 5 negatives, subsampling 1e-3) but for the window and the minimum
count: a window of 2 tokens, as a morpheme-tagged corpus holds two or three tokens per word and a
wider window filled the neighbours of content words with particles, endings and bound nouns (issue
34), and a minimum count of 2, as small corpora are common here.  Trained with the same settings,
the vectors agree with gensim's as
closely as two gensim runs agree with each other (``bench/skipgram.py``), also
on a small corpus, where word2vec's five epochs leave them under-trained (more
epochs sharpen them there; a higher rate only moves them away from word2vec's).

The vectors it saves are :class:`namuweb.embeddings.vectors.Embeddings`, which are
queried without this module.  Backend code: no Streamlit import; TensorFlow
is imported inside the functions that train.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from namuweb import storage
from namuweb.embeddings.vectors import Embeddings, split_tag

CONFIG_FILE = "config.json"
LOSS_FILE = "loss.jsonl"

TABLE_SIZE = 1 << 21   # slots of the negative-sampling table (word2vec uses 1e8 for far larger vocabularies)
SLOTS_PER_WORD = 256   # a small vocabulary needs a smaller table for the same resolution
MIN_LR_SHARE = 1e-4    # the learning rate decays linearly to this share of its start (gensim's min_alpha)
BLOCK_TOKENS = 1 << 20  # pairs are generated for about this many tokens at a time, to bound memory
LOG_EVERY_S = 0.25     # at most this often a loss.jsonl line and a progress call
PAIRS_PER_CALL = 1 << 17  # pairs per compiled call, at most 128 steps (should_stop is asked between calls)
LOSS_SAMPLE = 256      # pairs of a call's last step whose loss after the call is logged
PAIRS_PER_WORD = 4     # batches hold at most this many pairs per vocabulary word (see effective_batch)
JIT_MIN_PAIRS = 1_000_000  # with a GPU, XLA's compile pays off from about this many pairs (see compile_with_xla)

LIMITS = {  # name: (minimum, maximum)
    "dimensions": (1, 1000), "window": (1, 20), "negatives": (1, 20), "min_count": (1, 1_000_000),
    "subsample": (0.0, 1.0), "epochs": (1, 1000), "learning_rate": (1e-5, 1.0), "batch": (16, 1 << 20),
    "shared_negatives": (0, 4096), "seed": (0, 2**31 - 1),
}



def _bound(value) -> str:
    """A limit for a message: whole numbers in full (1048576, not 1.04858e+06), others short."""
    return str(value) if isinstance(value, int) else f"{value:g}"


# --- settings ------------------------------------------------------------------


@dataclass
class SkipGramConfig:
    corpus: str                     # library corpus id (or name) of a tagged corpus
    dimensions: int = 100
    # Largest window; each centre draws its own in 1..window.  Narrower than word2vec's 5: our tokens are
    # morphemes (an eojeol is two or three of them), and a narrow window keeps a word's neighbours words
    # of its own kind, content words beside content words (bench/skipgram.py's content-word share).
    window: int = 2
    negatives: int = 5
    min_count: int = 2
    subsample: float = 1e-3         # frequent-word subsampling threshold; 0 = off
    epochs: int = 5
    learning_rate: float = 0.025    # word2vec's, decayed linearly as in word2vec (see the module docstring)
    batch: int = 1024               # pairs per step
    shared_negatives: int = 32      # negatives drawn per step and shared by its pairs; 0 = k per pair
    seed: int = 0
    drop_tags: tuple[str, ...] = ()  # tokens with these tags are removed before training

    def validated(self) -> "SkipGramConfig":
        if not isinstance(self.corpus, str) or not self.corpus:
            raise ValueError("choose a tagged corpus")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            is_int = isinstance(low, int) and isinstance(high, int)
            if isinstance(value, bool) or not isinstance(value, int if is_int else (int, float)) \
                    or not low <= value <= high:
                kind = "a whole number" if is_int else "a number"
                raise ValueError(f"{name.replace('_', ' ')} must be {kind} between {_bound(low)} and "
                                 f"{_bound(high)}, not {value!r}")
        if isinstance(self.drop_tags, str) or not all(isinstance(t, str) and t for t in self.drop_tags):
            raise ValueError(f"drop tags must be a list of tag names like ('Josa', 'Punctuation'), "
                             f"not {self.drop_tags!r}")
        self.drop_tags = tuple(self.drop_tags)
        return self

    def to_json(self) -> dict:
        return dataclasses.asdict(self) | {"drop_tags": list(self.drop_tags)}

    @classmethod
    def from_json(cls, data: dict) -> "SkipGramConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "drop_tags" in values and isinstance(values["drop_tags"], list):
            values["drop_tags"] = tuple(values["drop_tags"])
        return cls(**values).validated()



# Tags a visitor may leave out of training, by coarse group (``tag_display.GROUPS``), in the tagset of the
# corpus at hand: Okt writes Josa and Punctuation, Kiwi and the Sejong-style engines JKS, JKO, SF, ….
DROPPABLE_GROUPS = ("particle", "punctuation", "ending", "affix", "number", "foreign")
DROPPED_BY_DEFAULT = ("particle", "punctuation")  # frequent, and they say little about a word's neighbours
TAG_SAMPLE_CHARS = 1 << 18


def droppable_tags(source, sample_chars: int = TAG_SAMPLE_CHARS) -> tuple[list[str], list[str]]:
    """The tags of a tagged corpus that training may leave out, in its own tagset, and those it leaves
    out by default (particles and punctuation). Read from the corpus's first ``sample_chars``
    characters (``source.iter_chunks``), not the whole file: a tagset shows itself early."""
    from namuweb.morphemes.tag_display import tag_group
    text = next(source.iter_chunks(sample_chars), "")
    if len(text) == sample_chars:
        text = text[:text.rfind("\n") + 1] or text  # the last line may be cut in a token
    seen = {split_tag(token)[1] for token in text.split()} - {""}
    order = {group: i for i, group in enumerate(DROPPABLE_GROUPS)}
    choices = sorted((tag for tag in seen if tag_group(tag) in order), key=lambda tag: (order[tag_group(tag)], tag))
    return choices, [tag for tag in choices if tag_group(tag) in DROPPED_BY_DEFAULT]


@dataclass
class TrainingData:
    """The corpus as word ids: sentences concatenated, with where each one starts."""
    words: list[str]
    counts: np.ndarray        # (V,) int64, most frequent first
    ids: np.ndarray           # (N,) int32
    sentence_starts: np.ndarray  # (S,) int64, ascending, first is 0


def read_tagged(lines, min_count: int = 2, drop_tags: tuple[str, ...] = ()) -> TrainingData:
    """Vocabulary and id sequence of a tagged corpus (one sentence per line, ``word/Tag`` tokens)."""
    drop = set(drop_tags)
    sentences = []
    tagged = plain = 0
    for line in lines:
        tokens = line.split()
        if drop:
            tokens = [t for t in tokens if split_tag(t)[1] not in drop]
        if tokens:
            sentences.append(tokens)
        if tagged + plain < 2000:
            for token in tokens[:50]:
                if split_tag(token)[1]:
                    tagged += 1
                else:
                    plain += 1
    if plain > tagged:
        raise ValueError("this corpus is not tagged: expected 'word/Tag' tokens (tag it first)")
    counts = Counter(token for tokens in sentences for token in tokens)
    vocab = sorted((item for item in counts.items() if item[1] >= min_count), key=lambda kv: (-kv[1], kv[0]))
    if len(vocab) < 2:
        raise ValueError(f"fewer than 2 words occur at least {min_count} times; lower the minimum count")
    index = {word: i for i, (word, _) in enumerate(vocab)}
    ids, starts = [], []
    for tokens in sentences:
        known = [index[t] for t in tokens if t in index]
        if len(known) > 1:  # a one-word sentence has no pairs
            starts.append(len(ids))
            ids.extend(known)
    return TrainingData(words=[w for w, _ in vocab], counts=np.array([c for _, c in vocab], dtype=np.int64),
                        ids=np.asarray(ids, dtype=np.int32), sentence_starts=np.asarray(starts, dtype=np.int64))


def keep_probabilities(counts: np.ndarray, subsample: float) -> np.ndarray | None:
    """word2vec's chance to keep each occurrence of a word: ``(√(f/t)+1)·t/f`` for word
    frequency ``f`` and threshold ``t``, capped at 1; ``None`` when subsampling is off."""
    if not subsample:
        return None
    threshold = subsample * float(np.sum(counts))
    counts = np.asarray(counts, dtype=np.float64)
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)


def pairs_for_epoch(ids: np.ndarray, sentence_starts: np.ndarray, window: int, rng: np.random.Generator,
                    keep_prob: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All (centre, context) id pairs of one pass, in offset order (shuffle before training).

    Subsampling happens first, so the window reaches over dropped words; each
    centre then draws its window size in 1..window.  One vectorised pass per
    offset and direction; a pair is kept only if both ends are in one sentence."""
    ids = np.asarray(ids)
    sentence = np.zeros(len(ids), dtype=np.int64)
    if len(sentence_starts) > 1:
        sentence[np.asarray(sentence_starts[1:])] = 1
    sentence = np.cumsum(sentence)
    if keep_prob is not None:
        kept = rng.random(len(ids)) < keep_prob[ids]
        ids, sentence = ids[kept], sentence[kept]
    reach = rng.integers(1, window + 1, size=len(ids), dtype=np.int8 if window < 128 else np.int32)
    centres, contexts = [], []
    for offset in range(1, window + 1):
        left = np.arange(len(ids) - offset)
        if not len(left):
            break
        right = left + offset
        same = sentence[left] == sentence[right]
        forward = same & (reach[left] >= offset)   # centre left, context to its right
        backward = same & (reach[right] >= offset)  # centre right, context to its left
        centres += [ids[left[forward]], ids[right[backward]]]
        contexts += [ids[right[forward]], ids[left[backward]]]
    if not centres:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(centres).astype(np.int32), np.concatenate(contexts).astype(np.int32)


def negative_probabilities(counts) -> np.ndarray:
    weights = np.asarray(counts, dtype=np.float64) ** 0.75
    return weights / weights.sum()


def negative_table(counts, size: int = TABLE_SIZE) -> np.ndarray:
    """word2vec's unigram table: ``size`` word ids, each word filling a share of the slots
    proportional to count^¾, so a uniform slot is a draw from that distribution.
    Slots are shared out by largest remainder, so every share is exact to 1/size."""
    share = negative_probabilities(counts) * size
    slots = np.floor(share).astype(np.int64)
    missing = size - int(slots.sum())
    if missing > 0:
        slots[np.argsort(-(share - slots), kind="stable")[:missing]] += 1
    return np.repeat(np.arange(len(slots), dtype=np.int32), slots)


# --- training ------------------------------------------------------------------


class _SkipGramModel:
    """The centre and context vectors and SGD on chunks of (centre, context) pairs.

    One call of :meth:`train_chunk` runs up to :func:`steps_per_call` steps in one
    graph loop: per-step Python and dispatch overhead would otherwise cost as
    much as the arithmetic.  With ``jit`` XLA compiles the loop (see
    :func:`compile_with_xla` for when that is worth it).
    Chunks have a fixed shape and every argument is a tensor (a NumPy scalar would
    be a new trace per value), so XLA compiles once; unused rows carry weight 0."""

    def __init__(self, vocab_size: int, config: SkipGramConfig, table: np.ndarray, batch: int, jit: bool = True):
        import tensorflow as tf
        rng = np.random.default_rng(config.seed)
        dims = config.dimensions
        # word2vec's start: small random input vectors, zero output vectors
        self.centre = tf.Variable(((rng.random((vocab_size, dims)) - 0.5) / dims).astype(np.float32),
                                  name="centre_vectors")
        self.context = tf.Variable(tf.zeros((vocab_size, dims)), name="context_vectors")
        self.table = tf.constant(table)
        self.negatives = config.negatives
        self.seed = config.seed  # negatives are stateless draws seeded by (seed, step): no generator to build
        labels = np.zeros((1, 1 + config.negatives), np.float32)
        labels[0, 0] = 1.0
        self.labels = tf.constant(labels)  # the context word is 1, the k negatives 0
        self.shared = config.shared_negatives
        self._step = self._step_shared if self.shared else self._step_per_pair
        self._loss = self._loss_shared if self.shared else self._loss_per_pair
        chunk = (steps_per_call(batch), batch)
        self.train_chunk = tf.function(self._train_chunk, jit_compile=jit, autograph=False, input_signature=[
            tf.TensorSpec(chunk, tf.int32), tf.TensorSpec(chunk, tf.int32), tf.TensorSpec(chunk, tf.float32),
            tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.int32), tf.TensorSpec((), tf.float32),
            tf.TensorSpec((), tf.float32)])

    def _step_shared(self, centres, contexts, rates, negatives, k):
        """One SGD step on a batch of pairs whose negatives are K draws shared by all of them, each
        weighted k/K: per pair the loss is −log σ(u_o·v) − (k/K)·Σ_j log σ(−u_j·v), whose expectation
        over the draws is word2vec's.  Scores and gradients become matmuls with the K rows instead
        of k gathered rows per pair, and each step touches about a third of the rows it did.
        ``rates`` is each pair's step size (learning rate × weight); ``k`` holds constants made
        once outside the loop (a constant inside it would be one more op on every step)."""
        import tensorflow as tf
        v = tf.gather(self.centre, centres)                      # (n, D)
        u = tf.gather(self.context, contexts)                    # (n, D)
        u_neg = tf.gather(self.context, negatives)               # (K, D)
        # ∂loss/∂score = σ(score) − label, times the pair's step size
        error = tf.expand_dims((tf.sigmoid(tf.reduce_sum(v * u, axis=k["one"])) - k["1.0"]) * rates, k["one"])
        error_neg = tf.sigmoid(tf.matmul(v, u_neg, transpose_b=True)) * tf.expand_dims(rates * k["share"], k["one"])
        self.centre.scatter_sub(tf.IndexedSlices(error * u + tf.matmul(error_neg, u_neg), centres))
        self.context.scatter_sub(tf.IndexedSlices(
            tf.concat([error * v, tf.matmul(error_neg, v, transpose_a=True)], axis=k["zero"]),
            tf.concat([contexts, negatives], axis=k["zero"])))

    def _loss_shared(self, centres, contexts, weights, negatives):
        """Summed loss and weight of these pairs, with the given shared negatives."""
        import tensorflow as tf
        v = tf.gather(self.centre, centres)
        positive = tf.reduce_sum(v * tf.gather(self.context, contexts), axis=1)
        negative = tf.matmul(v, tf.gather(self.context, negatives), transpose_b=True)
        loss = tf.nn.softplus(-positive) + self.negatives / self.shared * tf.reduce_sum(tf.nn.softplus(negative), 1)
        return tf.reduce_sum(loss * weights), tf.reduce_sum(weights)

    def _step_per_pair(self, centres, contexts, rates, negatives, k):
        """One SGD step on a batch of pairs, k negatives drawn for each pair as word2vec does."""
        import tensorflow as tf
        targets = tf.concat([tf.expand_dims(contexts, k["one"]), negatives], axis=k["one"])  # (n, 1+k)
        v = tf.gather(self.centre, centres)                    # (n, D)
        u = tf.gather(self.context, targets)                   # (n, 1+k, D)
        scores = tf.einsum("nd,nkd->nk", v, u)                 # u·v for the context and each negative
        # ∂loss/∂score = σ(score) − label; each pair adds what sequential SGD would
        error = (tf.sigmoid(scores) - self.labels) * tf.expand_dims(rates, k["one"])
        self.centre.scatter_sub(tf.IndexedSlices(tf.einsum("nk,nkd->nd", error, u), centres))
        self.context.scatter_sub(tf.IndexedSlices(tf.reshape(error[:, :, None] * v[:, None, :], (-1, v.shape[1])),
                                                  tf.reshape(targets, (-1,))))

    def _loss_per_pair(self, centres, contexts, weights, negatives):
        """Summed loss and weight of these pairs, with their given k negatives each."""
        import tensorflow as tf
        targets = tf.concat([contexts[:, None], negatives], axis=1)
        scores = tf.einsum("nd,nkd->nk", tf.gather(self.centre, centres), tf.gather(self.context, targets))
        # −log σ(u_o·v) − Σ log σ(−u_k·v) = softplus(−s_o) + Σ softplus(s_k)
        loss = tf.reduce_sum(tf.nn.softplus(tf.where(self.labels > 0, -scores, scores)), axis=1)
        return tf.reduce_sum(loss * weights), tf.reduce_sum(weights)

    def _train_chunk(self, centres, contexts, weights, steps, first_step, learning_rate, decay):
        """``steps`` steps over the rows of (steps per call, batch) arrays, the first of them
        global step ``first_step``; the rate falls by ``decay`` per step.  Returns the mean loss of
        the last step's first ``LOSS_SAMPLE`` pairs after the call (the loss is only reported, and a
        sample of shuffled pairs estimates it for a fraction of the work of every step's).

        Everything that does not change from step to step — the call's negatives (one draw, seeded
        by the global step), each pair's step size, constants — is made before the loop: in a
        TensorFlow loop of small steps, every op a step runs costs about as much as its arithmetic."""
        import tensorflow as tf
        calls, batch = centres.shape
        per_step = (self.shared,) if self.shared else (batch, self.negatives)
        slots = tf.random.stateless_uniform((calls, *per_step), tf.stack([tf.constant(self.seed), first_step]),
                                            maxval=tf.shape(self.table)[0], dtype=tf.int32)
        negatives = tf.gather(self.table, slots)
        rates = tf.expand_dims(learning_rate - decay * tf.range(calls, dtype=tf.float32), 1) * weights
        k = {"zero": tf.constant(0), "one": tf.constant(1), "1.0": tf.constant(1.0),
             "share": tf.constant(self.negatives / max(self.shared, 1), tf.float32)}

        def body(i):
            self._step(tf.gather(centres, i, axis=k["zero"]), tf.gather(contexts, i, axis=k["zero"]),
                       tf.gather(rates, i, axis=k["zero"]), tf.gather(negatives, i, axis=k["zero"]), k)
            return i + k["one"]
        # a while loop on the tensor ``steps``: ``for i in tf.range(steps)`` made XLA compile anew
        # for each value of steps
        tf.while_loop(lambda i: i < steps, body, (k["zero"],))
        last, shown = steps - 1, slice(0, LOSS_SAMPLE)
        total, counted = self._loss(centres[last, shown], contexts[last, shown], weights[last, shown],
                                    negatives[0] if self.shared else negatives[last, shown])
        return total / tf.maximum(counted, 1.0)


def steps_per_call(batch: int) -> int:
    """SGD steps per compiled call: ``PAIRS_PER_CALL`` pairs, 1 to 128 steps.  Fewer calls save
    their fixed cost; a bound keeps a call's arrays small and Stop prompt."""
    return max(1, min(128, PAIRS_PER_CALL // batch))


def _chunks(centres: np.ndarray, contexts: np.ndarray, batch: int):
    """(centres, contexts, weights, steps, pairs) with arrays of shape (steps per call, batch);
    the padding after the last pair has weight 0."""
    shape = (steps_per_call(batch), batch)
    per_call = shape[0] * batch
    for at in range(0, len(centres), per_call):
        n = min(per_call, len(centres) - at)
        c, x, w = np.zeros(per_call, np.int32), np.zeros(per_call, np.int32), np.zeros(per_call, np.float32)
        c[:n], x[:n], w[:n] = centres[at:at + n], contexts[at:at + n], 1.0
        yield c.reshape(shape), x.reshape(shape), w.reshape(shape), -(-n // batch), n


def _blocks(starts: np.ndarray, total: int, block_tokens: int) -> list[tuple[int, int]]:
    """(first token, end token) of runs of whole sentences of about ``block_tokens`` tokens."""
    bounds, begin = [], 0
    cuts = np.searchsorted(starts, np.arange(block_tokens, total, block_tokens))
    for cut in np.unique(cuts):
        end = int(starts[cut]) if cut < len(starts) else total
        if end > begin:
            bounds.append((begin, end))
            begin = end
    if begin < total:
        bounds.append((begin, total))
    return bounds


def compile_with_xla(pairs: int) -> bool:
    """Whether XLA compiles the training loop: with a GPU and enough pairs to repay the compile.
    On a CPU the plain graph (in a process set up by :func:`configure_process`) was faster at every
    size measured (commit 3e9ea44 has the figures)."""
    if pairs < JIT_MIN_PAIRS:
        return False
    import tensorflow as tf
    return bool(tf.config.list_logical_devices("GPU"))


def configure_process() -> None:
    """Settings for a process that trains skip-gram and nothing else (the job worker, the bench),
    made before TensorFlow starts.  A step is ~40 small ops, and on the built-in corpus the whole
    run is a quarter of a second, half of it TensorFlow's start-up; measured on 2 cores:

    * one thread per op: splitting each over the pool cost more in hand-offs than it shared
      (~12% of the run), while independent ops still run side by side (inter-op threads);
    * no Grappler rewrite of the graph: it made the first call ~20 ms slower and later ones no faster;
    * TensorFlow's own kernels instead of oneDNN's: oneDNN's first-use set-up cost ~15 ms and its
      small matmuls saved less than that here (large runs compile with XLA, where it plays no part).

    Settings TensorFlow has already fixed in this process are left as they are."""
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # read when TensorFlow loads
    import tensorflow as tf
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:
        pass
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def effective_batch(batch: int, vocabulary: int) -> int:
    """The batch actually used: a batch sums the updates of all its pairs, so a word that
    occurs in many of them takes a step that many times too long at once; on a small
    vocabulary that diverges (measured: 32 words at batch 1024 → NaN), hence the cap."""
    return max(16, min(batch, PAIRS_PER_WORD * vocabulary))


def train(config: SkipGramConfig, out_dir: Path, *, should_stop: Callable[[], bool] = lambda: False,
          on_progress: Callable[[dict], None] | None = None) -> Embeddings:
    """Train on the tagged corpus ``config.corpus`` and save everything into ``out_dir``.

    ``loss.jsonl`` gets a line at most every 0.25 s and at each epoch end;
    ``should_stop`` is asked before every step, and a stop still saves the
    vectors trained so far."""
    from namuweb.corpora.corpus import get_corpus

    config = config.validated()
    out_dir = Path(out_dir)
    storage.make_private_dirs(out_dir)
    found = get_corpus(config.corpus)
    with found.path.open(encoding="utf-8") as f:
        data = read_tagged(f, config.min_count, config.drop_tags)
    config_json = config.to_json() | {"corpus_name": found.name, "vocabulary": len(data.words),
                                      "tokens": int(len(data.ids)),
                                      "effective_batch": effective_batch(config.batch, len(data.words))}
    storage.write_json(out_dir / CONFIG_FILE, config_json)
    storage.atomic_write(out_dir / LOSS_FILE, b"")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rng = np.random.default_rng(config.seed)
    keep = keep_probabilities(data.counts, config.subsample)
    blocks = _blocks(data.sentence_starts, len(data.ids), BLOCK_TOKENS)
    # The pair count is random; estimate the total from the expected share of kept tokens
    # and the mean window (word2vec decays by words processed for the same reason).
    kept_share = float(np.sum(data.counts * keep) / data.counts.sum()) if keep is not None else 1.0
    expected_pairs = len(data.ids) * kept_share * (config.window + 1)
    batch = effective_batch(config.batch, len(data.words))
    total_steps = max(1, math.ceil(expected_pairs / batch)) * config.epochs
    table = negative_table(data.counts, size=min(TABLE_SIZE, SLOTS_PER_WORD * len(data.words)))
    model = _SkipGramModel(len(data.words), config, table, batch,
                           jit=compile_with_xla(expected_pairs * config.epochs))

    started = time.perf_counter()
    step = 0
    words_done = 0
    last_log = -math.inf
    stopped = False
    with storage.JsonlAppender(out_dir / LOSS_FILE) as log:  # one os.write per line: readers never see half a row
        def report(epoch: int, loss: float) -> None:
            elapsed = time.perf_counter() - started
            row = {"step": step, "epoch": epoch, "loss": round(loss, 6),
                   "words_per_s": round(words_done / max(elapsed, 1e-9), 1), "time": round(elapsed, 3)}
            log.write(row)
            if on_progress:
                on_progress(row | {"total_steps": total_steps, "epochs": config.epochs})

        for epoch in range(config.epochs):
            loss = float("nan")
            for begin, end in blocks:
                starts = data.sentence_starts[(data.sentence_starts >= begin) & (data.sentence_starts < end)] - begin
                centres, contexts = pairs_for_epoch(data.ids[begin:end], starts, config.window, rng, keep)
                order = rng.permutation(len(centres))
                centres, contexts = centres[order], contexts[order]
                words_in_block = end - begin
                for chunk_c, chunk_x, weights, steps, pairs in _chunks(centres, contexts, batch):
                    if should_stop():
                        stopped = True
                        break
                    lr = config.learning_rate * (1 - (1 - MIN_LR_SHARE) * min(1.0, step / total_steps))
                    decay = config.learning_rate * (1 - MIN_LR_SHARE) / total_steps
                    loss = float(model.train_chunk(chunk_c, chunk_x, weights, np.int32(steps), np.int32(step),
                                                   np.float32(lr), np.float32(decay)))
                    if not math.isfinite(loss):
                        raise FloatingPointError("training diverged (the loss is not a number); lower the "
                                                 "learning rate or the batch size")
                    step += steps
                    words_done += words_in_block * pairs / len(centres)
                    if time.perf_counter() - last_log >= LOG_EVERY_S:
                        last_log = time.perf_counter()
                        report(epoch + 1, loss)
                if stopped:
                    break
            if stopped:
                break
            words_done = len(data.ids) * (epoch + 1)
            report(epoch + 1, loss)
            last_log = time.perf_counter()

    embeddings = Embeddings(list(data.words), [int(c) for c in data.counts], model.centre.numpy())
    embeddings.save(out_dir)
    return embeddings
