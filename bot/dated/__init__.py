"""Dated items and what is derived from them, kept once per statement version.

The extraction itself lives in ``bot.timeexpr`` and ``bot.commitments`` today;
``cache`` keeps what they found so no process reads an unchanged statement twice.
"""
