"""`python -m auditkit` is the `auditkit` command."""

import sys

from auditkit.auditors.cli import main

sys.exit(main())
