"""Refuses a python-deps folder that would shadow Debian's NumPy (NumPy 2 breaks GNU Radio 3.10's bindings)."""
import os
import sys

folder = sys.argv[1]
shadowing = [name for name in os.listdir(folder) if name.split("-")[0].lower() in ("numpy", "gnuradio", "pmt")]
if shadowing:
    sys.exit(f"{folder}: pip installed {', '.join(sorted(shadowing))}, which would hide Debian's copy from "
             "GNU Radio; pin it in constraints.txt to the Debian version")
