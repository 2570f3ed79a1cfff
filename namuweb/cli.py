"""``python -m namuweb``: the app's operations without a browser (headless
servers, GPU boxes, scripts).  Every user error ends in one line on stderr
and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shlex
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

STARTED = time.monotonic()  # before the imports below: a training time budget counts from the job's start

from namuweb.language_model import run_folder, runs

from namuweb import config, jobs

from namuweb.corpora import corpus
from namuweb.language_model.settings import PRESET_NAMES, TOKENIZATIONS, TrainConfig, check_corpus_size, check_memory
from namuweb.jobs import JobError
from namuweb.language_model.run_folder import Run, RunError
from namuweb.text.vocab_report import report


class UserError(Exception):
    """A problem with the command's input, printed as one line."""


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def _shown(value: str, limit: int = 60) -> str:
    """A user-given name for a message: quoted, control characters escaped, cut to ``limit``."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that answers False for names no filesystem accepts (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _path_arg(value: str, flag: str) -> Path:
    """A folder or file named on the command line: refused if no filesystem could hold the name."""
    if "\x00" in value:
        raise UserError(f"{flag} {_shown(value)} contains a NUL character")
    if not value.strip():
        raise UserError(f"{flag} is empty")
    if any(len(part.encode("utf-8", "surrogateescape")) > 255 for part in Path(value).parts):
        raise UserError(f"{flag} {_shown(value)} has a name longer than 255 bytes")
    return Path(value)


def _corpus_file(ref: str) -> Path | None:
    """``ref`` as a file, None when it names no file (a library corpus, then)."""
    path = Path(ref)
    if _is_file(path):
        return path
    if _is_dir(path):
        raise UserError(f"{ref} is not a file")
    return None


def _refuse_private(path: Path, allowed: bool = False) -> None:
    """A file its owner has not let others read is not copied into the library unasked
    (:func:`namuweb.corpora.corpus.private_source` says why); the message says how to ask."""
    reason = None if allowed else corpus.private_source(path)
    if reason:
        raise UserError(f"{reason}, and the library shows every corpus to everyone who opens the app; to add it "
                        f"anyway: python -m namuweb corpora add {shlex.quote(str(path))} --allow-private "
                        "(or copy it to a file others may read)")


def _library_entry(ref: str) -> corpus.Corpus:
    try:
        return corpus.get_corpus(ref)
    except corpus.CorpusError as error:
        raise UserError(f"{_shown(ref)} is neither a file nor a library corpus: {error}") from None


def _decoded_copy(path: Path, scratch: Path) -> Path:
    """A text file as UTF-8 in ``scratch``, judged and converted exactly as an upload is (UTF-8, UTF-16,
    CP949/EUC-KR); what converting changed is one line on stderr, as the app shows it."""
    encoding, notice = corpus.text_encoding(path, path.name)
    copy = scratch / path.name
    corpus.write_decoded(path, copy, encoding, path.name)
    if notice:
        print(f"{path.name}: {notice}", file=sys.stderr)
    return copy


def _source(ref: str, scratch: Path):
    """A library corpus (id or name), or a text file read through a converted copy in ``scratch``;
    with the name the outputs take."""
    path = _corpus_file(ref)
    if path is None:
        found = _library_entry(ref)
        return found, found.id
    return _decoded_copy(path, scratch), path.stem


def _library_corpus(ref: str, *, tagged: bool = False) -> corpus.Corpus:
    """A library corpus by id or name, or a text file added to the library first, as an upload on the
    Corpora page adds it (same encodings, notice, limits and demo rules); ``tagged``: word/Tag lines."""
    path = _corpus_file(ref)
    if path is None:
        return _library_entry(ref)
    _refuse_private(path)
    added = corpus.add_text_file(path, path.name, source="tagged" if tagged else "upload")
    if tagged:
        from namuweb.embeddings import skipgram
        with added.path.open(encoding="utf-8") as lines:
            try:
                skipgram.read_tagged(itertools.islice(lines, 2000), min_count=1)
            except ValueError as error:
                corpus.delete_corpus(added.id)
                raise UserError(f"{path.name}: {error}") from None
    if added.notice:
        print(f"{path.name}: {added.notice}", file=sys.stderr)
    print(f"{path.name}: added to the library as {added.id}", file=sys.stderr)
    return added


def cmd_vocab(args: argparse.Namespace) -> int:
    if args.min_count < 1:
        raise UserError("--min-count must be at least 1")
    with tempfile.TemporaryDirectory() as scratch:
        source, stem = _source(args.corpus, Path(scratch))
        result = report(source, jamo=not args.chars, min_count=args.min_count)
    if result.characters == 0:
        raise UserError(f"{args.corpus} is empty")
    figures = result.figures()
    out = Path(args.out) if args.out else config.data_home() / "exports" / f"{stem}.vocab.json"
    result.vocab.save(out)
    print(f"characters       {figures['characters']:,}")
    print(f"{'jamo tokens' if not args.chars else 'tokens':<16} {figures['jamo tokens']:,}")
    print(f"vocabulary size  {result.vocab.size:,}" + (f" (min count {args.min_count}, with <unk>)"
                                                      if result.vocab.unk else ""))
    print(f"Hangul share     {figures['Hangul share']:.1%}")
    print("coverage         " + ", ".join(f"{level:.1%} by {n} tokens" for level, n in result.tokens_to_cover().items()))
    print(f"vocabulary JSON  {out}")
    return 0


def _run_job(kind: jobs.JobKind, folder: Path) -> None:
    """Run a job in the foreground, as the app's worker would, with a progress line on stderr."""
    printer = jobs.ProgressPrinter(sys.stderr)
    summary = jobs.run_here(kind, folder, started=STARTED, show=printer)
    printer.close()
    print(summary)


def _train_config(args: argparse.Namespace) -> tuple[TrainConfig, Counter | None]:
    """The run's settings, checked against the corpus, and the corpus's character counts when they
    were counted on the library corpus itself (so creating the run needs no second pass)."""
    overrides = dict(embedding=args.embedding, units=args.units, layers=args.layers, dropout=args.dropout,
                     batch=args.batch, seq_len=args.seq_len, learning_rate=args.learning_rate,
                     epochs=args.epochs, steps=args.steps, val_share=args.val_share, seed=args.seed,
                     distribute=args.distribute, max_seconds=args.max_seconds,
                     schedule=args.schedule, tokenization=args.tokenization)
    if args.mixed_precision:
        overrides["mixed_precision"] = True
    try:
        config = TrainConfig.from_preset("", args.preset, **overrides)
    except ValueError as error:
        raise UserError(str(error)) from None
    if (path := _corpus_file(args.corpus)) is not None:
        _refuse_private(path)
    with tempfile.TemporaryDirectory() as scratch:
        source, _ = _source(args.corpus, Path(scratch))
        figures = report(source, jamo=(args.tokenization or "jamo") == "jamo")  # one pass, before any job starts
    try:
        check_memory(figures.vocab.size, config)
        check_corpus_size(figures.tokens, config)
    except ValueError as error:
        raise UserError(str(error)) from None
    counted = figures.char_counts
    if isinstance(source, Path):  # checked: now it joins the library, as an upload would
        source, counted = corpus.add_text_file(Path(args.corpus), Path(args.corpus).name), None
        print(f"{Path(args.corpus).name}: added to the library as {source.id}", file=sys.stderr)
    config.corpus = source.id
    return config, counted


def _cluster(tf_config: str):
    """This worker's place in the TF_CONFIG cluster, or one line on what is wrong with it."""
    from namuweb.language_model import multiworker
    try:
        return multiworker.cluster_of(tf_config)
    except multiworker.ClusterError as error:
        raise UserError(f"--distribute multiworker: {error}") from None


def cmd_train(args: argparse.Namespace) -> int:
    from namuweb.language_model import training
    if args.tf_config:
        os.environ["TF_CONFIG"] = args.tf_config
    if args.logical_cpus:
        os.environ[training.LOGICAL_CPUS_ENV] = str(args.logical_cpus)
    run_dir = _path_arg(args.run_dir, "--run-dir") if args.run_dir is not None else None
    resuming = run_dir is not None and _is_file(Run(run_dir).config_file)
    distributed = args.distribute == "multiworker" or resuming and Run(run_dir).config().distribute == "multiworker"
    cluster = _cluster(os.environ.get("TF_CONFIG", "")) if distributed else None
    if cluster is not None and not cluster.chief:
        return _train_as_worker(args, cluster)
    if resuming:
        if args.corpus:
            raise UserError(f"{run_dir} already holds a run; leave out --corpus to resume it")
        status = jobs.current_status(run_dir)
        if status and status.active and status.pid != os.getpid() and jobs.process_alive(status.pid, status.pid_start):
            raise UserError(f"{run_dir} is already being trained by process {status.pid}")
        training.TRAINING.check(run_dir)
        if (added := Run(run_dir).prepare_to_continue()) is not None:
            unit = "s" if Run(run_dir).config().max_seconds else "steps"
            print(f"{run_dir.name}: its budget was spent; training {added:g} {unit} more", file=sys.stderr)
    elif args.corpus:
        if run_dir is not None and (run_dir.exists() and not _is_dir(run_dir)
                                    or _is_dir(run_dir) and any(run_dir.iterdir())):
            raise UserError(f"--run-dir {run_dir} exists and holds no run; give a new or empty folder")
        settings, characters = _train_config(args)
        run_dir = run_folder.create_run(settings, run_dir=run_dir, characters=characters)
        print(f"run folder: {run_dir}", file=sys.stderr)
    else:
        raise UserError("give --corpus to start a run, or --run-dir of an existing run to resume it")
    try:
        _run_job(training.TRAINING, run_dir)
    except jobs.JobIncomplete as below:  # not an error of the command: the machine was too busy for the budget
        print(f"namuweb train: {below}", file=sys.stderr)
        return 3
    return 0


def _train_as_worker(args: argparse.Namespace, cluster) -> int:
    """A worker other than the chief: the same corpus and settings as the chief, its run (and any
    corpus it adds) in a temporary data folder that is removed at the end; the chief keeps the run."""
    import shutil
    import tempfile
    from namuweb.language_model import multiworker, training
    if not args.corpus:
        raise UserError(f"{cluster.name(cluster.index)} keeps no run of its own: give it the same --corpus and "
                        "options as the chief (also to resume; the chief sends its checkpoint)")
    scratch = Path(tempfile.mkdtemp(prefix=f"namuweb-worker{cluster.index}-"))
    os.environ[config.HOME_ENV] = str(scratch)
    try:
        settings, characters = _train_config(args)
        run_dir = run_folder.create_run(settings, run_dir=scratch / "run", characters=characters)
        print(f"{cluster.name(cluster.index)}: training with the chief {cluster.name(0)}", file=sys.stderr)
        try:
            result = multiworker.train(run_dir, cluster, on_step=training.JobProgressPublisher(jobs.ProgressPrinter(sys.stderr)),
                                       started=STARTED)
        except multiworker.ClusterError as error:
            raise UserError(str(error)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'stopped' if result['stopped'] else 'finished'} at step {result['step']} with the chief; "
          f"the chief {cluster.name(0)} holds the checkpoint")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    infos = runs.list_runs()
    if not infos:
        print("no runs yet: python -m namuweb train --corpus builtin")
        return 0
    print(f"{'run':<36} {'state':<12} {'preset':<9} {'steps':>7} {'best val':>9} {'bits/char':>9}  name")
    for info in infos:
        best = f"{info.best_val_loss:.3f}" if info.best_val_loss is not None else "-"
        bits = f"{info.best_val_bits_per_char:.3f}" if info.best_val_bits_per_char is not None else "-"
        floor = "  (below its quality floor: resume to continue)" if info.below_floor and not (info.status and info.status.active) else ""
        print(f"{info.id:<36} {info.state:<12} {info.config.get('preset', ''):<9} {info.steps:>7} {best:>9} "
              f"{bits:>9}  {_shown(info.name, 80)}{floor}")
    return 0


def cmd_rename_run(args: argparse.Namespace) -> int:
    name = Run(_run_dir(args.run)).rename(args.name)
    print(f"{args.run}: {_shown(name, 100)}")
    return 0


def _run_dir(ref: str) -> Path:
    """A run folder given as a path, or a run id: a plain name looked up among the runs the Train page lists
    (folders directly in the runs folder, never a symlink out of it)."""
    if _is_file(Run(ref).config_file):
        return Path(ref)
    if _RUN_ID.fullmatch(ref) and (found := next((f for f in runs.run_dirs() if f.name == ref), None)):
        return found
    raise UserError(f"no run {_shown(ref)}; see python -m namuweb runs")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from namuweb.language_model import training
    loss = training.evaluate(_run_dir(args.run))
    print(f"validation loss {loss:.4f}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from namuweb.language_model import generate
    from namuweb.language_model.decoding import Decoding, DecodingError
    if not 0 <= args.temperature <= 5:
        raise UserError("--temperature must be between 0 and 5")
    if not 1 <= args.length <= 100_000:
        raise UserError("--length must be between 1 and 100000 characters")
    if not 1 <= args.samples <= 16:
        raise UserError("--samples must be between 1 and 16")
    if args.top_k < 0 or not 0 < args.top_p <= 1:
        raise UserError("--top-k must be 0 or more and --top-p in (0, 1]")
    try:
        decoding = Decoding(well_formed=not args.no_mask, repetition_penalty=args.repetition_penalty,
                            no_repeat_ngram=args.no_repeat_ngram, stop_at=args.stop_at).validated()
    except DecodingError as error:
        raise UserError(f"{error} (--repetition-penalty, --no-repeat-ngram)") from None
    if args.run:
        run_dir = _run_dir(args.run)
    else:
        usable = generate.usable_runs()
        if not usable:
            raise UserError("no trained run yet: python -m namuweb train --corpus builtin")
        run_dir = usable[0].path
    generator = generate.load_generator(run_dir)
    try:
        prepared = generate.prepare_start(args.start, generator.vocab)
    except generate.StartTextError as error:
        raise UserError(str(error)) from None
    if prepared.missing:
        what = "mapped to <unk>" if prepared.mapped_to_unk else "skipped"
        empty = "; nothing of the start text is left, so the model starts as at a new line" \
            if args.start.strip() and not prepared.text.strip() else ""
        print(f"namuweb generate: warning: not in this model's vocabulary, {what}: "
              + ", ".join(map(repr, prepared.missing)) + empty, file=sys.stderr)
    samples = generator.generate(args.start, args.length, args.temperature, samples=args.samples,
                                 seed=args.seed, top_k=args.top_k, top_p=args.top_p, decoding=decoding)
    for number, sample in enumerate(samples, 1):
        if args.samples > 1:
            print(f"--- sample {number} (temperature {args.temperature:g}, repeated 4-grams "
                  f"{sample.repeated_4gram_share:.0%})")
        print(sample.stream if args.jamo else sample.text)
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    """Tags in a worker process, as the Tagger page does, so an engine that runs away on the text (Kkma on a
    long run of one syllable) is stopped after the engines' time limit instead of holding the command."""
    from namuweb.morphemes import analyzers, analyzer_processes
    if not args.text.strip():
        raise UserError("give some Korean text to tag, e.g. python -m namuweb tag \"나무위키 말뭉치를 만들어보자\"")
    options = {"norm": args.norm, "stem": args.stem} if args.engine == "okt" else {}
    try:
        tokens = analyzer_processes.pos_chunked(args.text, args.engine, chunk_chars=analyzer_processes.page_chunk_chars(), **options)
    except analyzer_processes.EngineGaveUp as error:
        raise UserError(f"{error} The limit is {analyzer_processes.time_limit(args.engine):g} s a request "
                        "(NAMUWEB_TAGGER_TIMEOUT_S).") from None
    except analyzers.EngineUnavailable as error:
        raise UserError(str(error)) from None
    print(" ".join(analyzers.flat(tokens)))
    return 0


def _job_folder(args: argparse.Namespace, folders: jobs.JobFolders, what: str, create: Callable[[], Path] | None,
                missing: str) -> Path:
    """The job a job command works on: ``--job-dir`` of an existing one (resumed), or a new one made
    by ``create`` (None when the command's input is missing: then ``missing`` is the message).
    Settings errors from ``create`` become one line for the user."""
    if args.job_dir:
        job_dir = Path(args.job_dir)
        if not _is_file(job_dir / folders.settings_file):
            raise UserError(f"{_shown(str(job_dir))} is not {what}")
    elif create is not None:
        try:
            job_dir = create()
        except ValueError as error:
            raise UserError(str(error)) from None
    else:
        raise UserError(missing)
    print(f"job folder: {job_dir}", file=sys.stderr)
    return job_dir


def cmd_tag_corpus(args: argparse.Namespace) -> int:
    from namuweb.morphemes import corpus_tagging
    job_dir = _job_folder(args, corpus_tagging.FOLDERS, "a tagging job",
                          (lambda: corpus_tagging.create_job(_library_corpus(args.corpus).id, args.engine, norm=args.norm,
                                                      stem=args.stem))
                          if args.corpus else None, "give a CORPUS to tag, or --job-dir of a job to resume")
    _run_job(corpus_tagging.TAGGING, job_dir)
    return 0


def cmd_skipgram(args: argparse.Namespace) -> int:
    from namuweb.embeddings import embedding_library, skipgram

    def create() -> Path:
        settings = {k: v for k, v in dict(dimensions=args.dimensions, window=args.window, negatives=args.negatives,
                                          min_count=args.min_count, subsample=args.subsample, epochs=args.epochs,
                                          learning_rate=args.learning_rate, batch=args.batch, seed=args.seed,
                                          shared_negatives=args.shared_negatives).items()
                    if v is not None}
        if args.drop_tags:
            settings["drop_tags"] = tuple(t.strip() for t in args.drop_tags.split(",") if t.strip())
        found = _library_corpus(args.corpus, tagged=True)
        return embedding_library.create(skipgram.SkipGramConfig(corpus=found.id, **settings).validated())

    folder = _job_folder(args, embedding_library.FOLDERS, "a skip-gram job", create if args.corpus else None,
                         "give --corpus (a tagged corpus) to train, or --job-dir of a job to resume")
    _run_job(embedding_library.SKIPGRAM, folder)
    return 0


def cmd_build_embeddings(args: argparse.Namespace) -> int:
    from namuweb.embeddings import embedding_library
    folder = _job_folder(args, embedding_library.BUILDS, "a build of embeddings",
                         lambda: embedding_library.create_build(_library_corpus(args.corpus).id, args.engine), "")
    _run_job(embedding_library.BUILD, folder)
    return 0


def cmd_neighbors(args: argparse.Namespace) -> int:
    from namuweb.embeddings import embedding_library, vectors
    try:
        entry = embedding_library.get(args.embeddings)
        found = embedding_library.load(entry)
        word = found.find(args.word)
        rows = found.neighbors(word, k=args.k)
    except (KeyError, vectors.UnknownWord) as error:
        raise UserError(error.args[0] if error.args else str(error)) from None
    print(f"nearest to {word}:")
    for neighbour, score in rows:
        print(f"  {score:6.3f}  {neighbour}")
    return 0


def cmd_embeddings(args: argparse.Namespace) -> int:
    from namuweb.embeddings import embedding_library
    for entry in embedding_library.entries():
        print(f"{entry.id:<36} {entry.status.state if entry.status else 'ready':<12} {entry.label}")
    return 0


def cmd_import_namuwiki(args: argparse.Namespace) -> int:
    from namuweb.corpora import uploads, namuwiki

    def create() -> Path:
        dump = Path(args.dump)
        if not _is_file(dump):
            raise UserError(f"{_shown(str(dump))} is not a file")
        _refuse_private(dump)
        options = namuwiki.ImportOptions(
            namespaces=tuple(n.strip() for n in args.namespaces.split(",")), min_chars=args.min_chars,
            title_pattern=args.title, max_documents=args.max_documents, max_output_chars=args.max_chars,
            sample_rate=args.sample, seed=args.seed, keep_headings=not args.drop_headings,
            keep_tables=not args.drop_tables, keep_code=args.keep_code, footnotes=args.footnotes,
            jamo=args.jamo).validated()
        return uploads.create_job(dump, dump.name, options)

    job_dir = _job_folder(args, uploads.FOLDERS, "an import job", create if args.dump else None,
                          "give a DUMP file, or --job-dir of an import job")
    _run_job(uploads.IMPORT, job_dir)
    return 0


def _refuse_in_demo(action: str) -> None:
    if config.demo_settings():
        raise UserError(f"this is a public demo ({config.DEMO_ENV}): corpora cannot be {action}")


def cmd_corpora(args: argparse.Namespace) -> int:
    """The Corpora page's library: list, add (text or a dump, as an upload), show, rename, rm."""
    from namuweb import registry
    from namuweb.corpora import uploads
    action = args.action or "list"
    if action == "list":
        print(f"{'id':<36} {'source':<8} {'MB':>8} {'characters':>13}  name")
        for entry in corpus.list_corpora():
            licence = f"  [{entry.licence}]" if entry.licence else ""
            print(f"{entry.id:<36} {entry.source:<8} {entry.bytes / config.MB:8.2f} {entry.chars:13,}  "
                  f"{_shown(entry.name, 80)}{licence}")
        return 0
    if action == "catalogue":
        from namuweb.corpora import catalogue
        for entry in catalogue.entries():
            print(f"{entry.name:<18} {entry.title}\n{'':<18} about {entry.approx_bytes / config.MB:,.0f} MB to "
                  f"download, {entry.approx_chars / 1e6:,.1f} M characters · {entry.licence_line}\n"
                  f"{'':<18} {entry.description}\n{'':<18} {entry.attribution} · {entry.homepage}")
        return 0
    if action == "get":
        from namuweb.corpora import downloads
        job_dir = _job_folder(args, downloads.FOLDERS, "a download job",
                              (lambda: downloads.create(args.source, name=args.name)) if args.source else None,
                              "give a catalogue entry's name or an http(s) URL, or --job-dir of a download to resume")
        _run_job(downloads.DOWNLOAD, job_dir)
        return 0
    if action == "add":
        path = _corpus_file(args.file)
        if path is None:
            raise UserError(f"{_shown(args.file)} is not a file")
        _refuse_private(path, allowed=args.allow_private)
        with path.open("rb") as stream:
            received = uploads.receive(stream, args.name or path.name)
        if received.kind == "dump":  # a Namuwiki dump becomes an import job, run here
            _run_job(uploads.IMPORT, received.job_dir)
            result = uploads.IMPORT.result(received.job_dir).get("corpus")
            if not result:
                raise UserError("the import made no corpus")
            added = corpus.get_corpus(result)
        else:
            added = received.corpus
            if added.notice:
                print(f"{path.name}: {added.notice}", file=sys.stderr)
        print(f"{added.id}  {_shown(added.name, 80)}  {added.chars:,} characters")
        return 0
    found = _library_entry(args.id)
    if action == "show":
        usage = registry.corpus_usage(found.id)
        fields = [("id", found.id), ("name", _shown(found.name, 100)), ("source", found.source),
                  ("created", found.created[:19].replace("T", " ")), ("characters", f"{found.chars:,}"),
                  ("size", f"{found.bytes / config.MB:.2f} MB"), ("encoding", found.encoding or "utf-8"),
                  ("notice", found.notice or "-"), ("tagged from", found.parent or "-"),
                  ("from", found.source_url or "-"), ("licence", found.licence or "-"),
                  ("attribution", found.attribution or "-"),
                  ("used by", usage.warning() or "nothing"), ("read now by", ", ".join(usage.active) or "nothing")]
        for label, value in fields:
            print(f"{label:<12} {value}")
        print("\n" + next(found.iter_chunks(600), "").rstrip())
        return 0
    if action == "rename":
        _refuse_in_demo("renamed")
        renamed = corpus.rename_corpus(found.id, args.name)
        print(f"{renamed.id}  {_shown(renamed.name, 100)}")
        return 0
    _refuse_in_demo("deleted")  # rm
    if found.source == "builtin":
        raise UserError(f"{found.id} is the built-in corpus; it cannot be deleted")
    usage = registry.corpus_usage(found.id)
    if usage.active:
        raise UserError(f"{', '.join(usage.active)} is reading {found.id} now: stop it or wait for it to end, "
                        "then delete")
    if usage.warning() and not args.force:
        raise UserError(f"deleting {found.id}: {usage.warning()} Add --force to delete it anyway")
    registry.delete_corpus(found.id)
    print(f"deleted {found.id}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    run_dir = _run_dir(args.run)
    jobs.request_stop(run_dir)
    status = jobs.wait(run_dir, timeout=args.timeout + 5) if args.wait else jobs.read_status(run_dir)
    print(f"{run_dir.name}: {status.state if status else 'unknown'}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m namuweb", description="namuweb on the command line")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    vocab = commands.add_parser("vocab", help="figures and vocabulary JSON of a corpus",
                                description="Print a corpus's figures and write its vocabulary as JSON.")
    vocab.add_argument("corpus", help=f"a library corpus id or name (e.g. {corpus.BUILTIN_ID}), or a text file "
                                      "(UTF-8, UTF-16 or CP949/EUC-KR)")
    vocab.add_argument("--min-count", type=int, default=1, help="fold rarer tokens into <unk> (default 1)")
    vocab.add_argument("--chars", action="store_true", help="whole characters instead of jamo tokens")
    vocab.add_argument("--out", help="where to write the JSON (default: DATA/exports/NAME.vocab.json)")
    vocab.set_defaults(handler=cmd_vocab)

    train = commands.add_parser("train", help="train a char-LSTM (foreground, with a progress bar)",
                                description="Train the tutorial's char-LSTM on a corpus, or resume a run.")
    train.add_argument("--corpus", help="library corpus id or name, or a text file (added to the library)")
    train.add_argument("--preset", choices=PRESET_NAMES, default="demo")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int)
    budget.add_argument("--steps", type=int, help="a step budget instead of epochs")
    train.add_argument("--tokenization", choices=TOKENIZATIONS,
                       help="jamo (the tutorial's: each syllable as its jamo and ᴥ, the default) or syllables")
    train.add_argument("--schedule", choices=["constant", "cosine"],
                       help="learning rate: constant, or a cosine decay to a tenth over the budget")
    train.add_argument("--max-seconds", type=float,
                       help="a wall-clock budget from the job's start (alone: train until it is spent)")
    train.add_argument("--run-dir", help="the run folder (default: DATA/runs/NEW); an existing run is resumed")
    for flag, kind in (("--embedding", int), ("--units", int), ("--layers", int), ("--dropout", float),
                       ("--batch", int), ("--seq-len", int), ("--learning-rate", float),
                       ("--val-share", float), ("--seed", int)):
        train.add_argument(flag, type=kind)
    train.add_argument("--mixed-precision", action="store_true", help="float16 compute (GPUs)")
    train.add_argument("--distribute", choices=["auto", "none", "mirrored", "multiworker"],
                       help="tf.distribute strategy (auto: MirroredStrategy when several GPUs are visible)")
    train.add_argument("--tf-config", help="TF_CONFIG JSON for --distribute multiworker")
    train.add_argument("--logical-cpus", type=int, default=0, help=argparse.SUPPRESS)
    train.set_defaults(handler=cmd_train)

    rename_run = commands.add_parser("rename-run", help="give a training run a readable name")
    rename_run.add_argument("run", help="run id or folder")
    rename_run.add_argument("name")
    rename_run.set_defaults(handler=cmd_rename_run)
    listing = commands.add_parser("runs", help="list training runs")
    listing.set_defaults(handler=cmd_runs)

    gen = commands.add_parser("generate", help="sample text from a trained run",
                              description="Generate Korean text from a run's latest checkpoint.")
    gen.add_argument("--run", help="run id or folder (default: the newest run with a checkpoint)")
    gen.add_argument("--start", default="한국에서는", help="start text (default 한국에서는)")
    gen.add_argument("--temperature", type=float, default=0.8, help="0 = always the most likely token")
    gen.add_argument("--length", type=int, default=300, help="characters of new text")
    gen.add_argument("--seed", type=int, help="random seed for reproducible text")
    gen.add_argument("--top-k", type=int, default=0, help="sample only among the K most likely tokens (0: all)")
    gen.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling: smallest set with this mass")
    gen.add_argument("--samples", type=int, default=1)
    gen.add_argument("--jamo", action="store_true", help="print the raw jamo stream instead")
    gen.add_argument("--repetition-penalty", type=float, default=1.0, metavar="THETA",
                     help="divide (multiply, if negative) the logit of a syllable already in the text by THETA "
                          "(1 = off; 1.2 is mild)")
    gen.add_argument("--no-repeat-ngram", type=int, default=0, metavar="N",
                     help="never write a syllable that repeats an N-character n-gram of the text (0 = off)")
    gen.add_argument("--stop-at", choices=["sentence", "line"],
                     help="end each sample at the end of its first sentence or line (--length is then the most)")
    gen.add_argument("--no-mask", action="store_true",
                     help="let the model write loose jamo (off: only whole syllables, by the syllable grammar)")
    gen.set_defaults(handler=cmd_generate)

    tag = commands.add_parser("tag", help="print the tutorial's word/Tag line for a text")
    tag.add_argument("text")
    tag.add_argument("--engine", default="okt", choices=["okt", "komoran", "kkma", "hannanum", "mecab", "kiwi"])
    tag.add_argument("--norm", action="store_true", help="Okt: normalise spelling")
    tag.add_argument("--stem", action="store_true", help="Okt: reduce verbs and adjectives to their stem")
    tag.set_defaults(handler=cmd_tag)

    tag_corpus = commands.add_parser("tag-corpus", help="tag a whole corpus into a new library corpus",
                                     description="The tutorial's rule: each line split on '.', each sentence "
                                                 "tagged, sentences of more than one token written as word/Tag.")
    tag_corpus.add_argument("corpus", nargs="?", help="library corpus id or name, or a text file (added to the library)")
    tag_corpus.add_argument("--engine", default="okt", choices=["okt", "komoran", "kkma", "hannanum", "mecab", "kiwi"])
    tag_corpus.add_argument("--norm", action="store_true")
    tag_corpus.add_argument("--stem", action="store_true")
    tag_corpus.add_argument("--job-dir", help="resume this tagging job folder")
    tag_corpus.set_defaults(handler=cmd_tag_corpus)

    sg = commands.add_parser("skipgram", help="train skip-gram word embeddings on a tagged corpus")
    sg.add_argument("--corpus", help="a tagged library corpus (see tag-corpus), or a file of word/Tag lines "
                                     "(added to the library)")
    sg.add_argument("--job-dir", help="resume or run this embeddings job folder")
    for flag, kind in (("--dimensions", int), ("--window", int), ("--negatives", int), ("--min-count", int),
                       ("--subsample", float), ("--epochs", int), ("--learning-rate", float), ("--batch", int),
                       ("--seed", int)):
        sg.add_argument(flag, type=kind)
    sg.add_argument("--shared-negatives", type=int,
                    help="negatives drawn per step and shared by its pairs (default 32); 0 draws --negatives per "
                         "pair, as word2vec does")
    sg.add_argument("--drop-tags", help="comma-separated tags to leave out, e.g. Josa,Punctuation")
    sg.set_defaults(handler=cmd_skipgram)

    build = commands.add_parser("build-embeddings", help="tag a plain corpus and train skip-gram on it, as one job",
                                description="From a plain corpus to embeddings in one go: tag it (Okt, the tutorial's, "
                                            "where Java is present, else Kiwi), then train skip-gram with the defaults.")
    build.add_argument("--corpus", default=corpus.BUILTIN_ID, help=f"a plain library corpus or a text file (default {corpus.BUILTIN_ID})")
    build.add_argument("--engine", choices=["okt", "komoran", "kkma", "hannanum", "mecab", "kiwi"],
                       help="the tagger (default: okt where Java is present, else kiwi)")
    build.add_argument("--job-dir", help="resume this build's folder")
    build.set_defaults(handler=cmd_build_embeddings)

    nb = commands.add_parser("neighbors", help="nearest words by cosine similarity")
    nb.add_argument("--embeddings", required=True, help="embeddings id or name")
    nb.add_argument("word", help="a token such as 국민/Noun, or a bare word such as 국민")
    nb.add_argument("-k", type=int, default=10)
    nb.set_defaults(handler=cmd_neighbors)

    listing_e = commands.add_parser("embeddings", help="list trained and imported embeddings")
    listing_e.set_defaults(handler=cmd_embeddings)

    imp = commands.add_parser("import-namuwiki", help="turn a Namuwiki dump into a corpus",
                              description="Stream a Namuwiki dump (JSON array, JSON Lines or Parquet), convert "
                                          "namu-mark to plain text and add the result to the corpus library.")
    imp.add_argument("dump", nargs="?", help="the dump file (.json, .jsonl, .parquet)")
    imp.add_argument("--job-dir", help="resume this import job folder")
    imp.add_argument("--namespaces", default="0", help="comma-separated namespaces to keep (default 0: articles)")
    imp.add_argument("--min-chars", type=int, default=50)
    imp.add_argument("--title", help="keep only titles matching this regular expression")
    imp.add_argument("--max-documents", type=int)
    imp.add_argument("--max-chars", type=int, help="stop when the output reaches this many characters")
    imp.add_argument("--sample", type=float, default=1.0, help="keep each document with this probability")
    imp.add_argument("--seed", type=int, default=0)
    imp.add_argument("--drop-headings", action="store_true")
    imp.add_argument("--drop-tables", action="store_true")
    imp.add_argument("--keep-code", action="store_true")
    imp.add_argument("--footnotes", choices=["remove", "inline"], default="remove")
    imp.add_argument("--jamo", action="store_true", help="also write the jamo form")
    imp.set_defaults(handler=cmd_import_namuwiki)

    evaluate = commands.add_parser("evaluate", help="validation loss of a run's latest checkpoint")
    evaluate.add_argument("run", help="run id or folder")
    evaluate.set_defaults(handler=cmd_evaluate)

    library = commands.add_parser("corpora", help="the corpus library: list, catalogue, get, add, show, rename, rm",
                                  description="What the Corpora page does: list the library, add a text file "
                                              "(UTF-8, UTF-16 or CP949) or a Namuwiki dump, show, rename or "
                                              "delete a corpus.")
    library_actions = library.add_subparsers(dest="action", metavar="ACTION")
    library_actions.add_parser("list", help="every corpus (the default)")
    library_actions.add_parser("catalogue", help="open Korean texts that `corpora get` downloads")
    get = library_actions.add_parser("get", help="download a catalogue entry or any http(s) URL into the library "
                                                 "(foreground, with a progress bar)")
    get.add_argument("source", nargs="?", help="a catalogue entry's name (see `corpora catalogue`) or an http(s) URL "
                                               "of a text file, .gz/.zip or Namuwiki dump (#sha256=HEX checks it)")
    get.add_argument("--name", help="the name shown in the library")
    get.add_argument("--job-dir", help="resume this stopped download job instead")
    add = library_actions.add_parser("add", help="add a text file, or import a Namuwiki dump (.json/.jsonl/.parquet, "
                                                 "also .gz/.zip)")
    add.add_argument("file")
    add.add_argument("--name", help="the name shown in the library (default: the file's name)")
    add.add_argument("--allow-private", action="store_true",
                     help="add a file that others may not read (no o+r bit): the library shows it to everyone "
                          "who opens the app")
    show = library_actions.add_parser("show", help="a corpus's figures, what uses it, and its start")
    show.add_argument("id", help="corpus id or name")
    rename = library_actions.add_parser("rename", help="give a corpus a new name")
    rename.add_argument("id", help="corpus id or name")
    rename.add_argument("name")
    remove = library_actions.add_parser("rm", help="delete a corpus (not while a job reads it)")
    remove.add_argument("id", help="corpus id or name")
    remove.add_argument("--force", action="store_true", help="delete it although runs or embeddings came from it")
    library.set_defaults(handler=cmd_corpora)

    stop = commands.add_parser("stop", help="ask a running training job to stop")
    stop.add_argument("run", help="run id or folder")
    stop.add_argument("--wait", action="store_true")
    stop.add_argument("--timeout", type=float, default=30)
    stop.set_defaults(handler=cmd_stop)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UserError, corpus.CorpusError, config.DemoModeError, OSError, RunError, JobError) as error:
        print(f"namuweb {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"namuweb {args.command}: interrupted", file=sys.stderr)
        return 130
