import faulthandler
import sys

if sys.argv[1:2] == ["train"]:
    # Keras imports pandas only to accept DataFrames, which the trainer never passes; a training
    # worker without it starts sooner and holds less memory (bench/large_corpus.py measures the worker).
    sys.modules.setdefault("pandas", None)

from namuweb.cli import main  # noqa: E402  (after the line above)
from namuweb.config import keep_files_private  # noqa: E402

keep_files_private()  # before anything is written: corpora, runs and exports are this user's alone

faulthandler.enable()  # a crash inside TensorFlow or the JVM leaves the Python stack in the job's log
sys.exit(main())
