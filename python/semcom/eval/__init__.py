"""Experiments over the GNU Radio system: sweeps, result files, tables and plots."""
