"""``python -m lamer_train`` is ``lamer-train``; under torchrun one process per rank:

torchrun --nproc-per-node 2 -m lamer_train [command] [overrides]
"""

from lamer_train.cli import main

raise SystemExit(main())
