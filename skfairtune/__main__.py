import sys

from skfairtune.cli import main

sys.exit(main())
