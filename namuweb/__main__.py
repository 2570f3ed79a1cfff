import faulthandler
import sys

if sys.argv[1:2] == ["train"]:
    # Keras imports pandas only to accept DataFrames, which the trainer never passes; a training
    # worker without it starts 0.3 s sooner and holds 64 MB less (bench/large_corpus.py).
    sys.modules.setdefault("pandas", None)

from namuweb.cli import main  # noqa: E402  (after the line above)

faulthandler.enable()  # a crash inside TensorFlow or the JVM leaves the Python stack in the job's log
sys.exit(main())
