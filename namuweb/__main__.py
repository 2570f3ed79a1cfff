import sys

from namuweb.cli import main

sys.exit(main())
