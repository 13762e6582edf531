# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception type for bad input: a parameter, file or field that is not what was expected.

Every check of user input raises :class:`InputError` with a message that names what is wrong and what
was expected; the ``semcom`` command prints it as one line (exit 2). Anything else that goes wrong is
a bug, and the command prints its traceback with a request to report it. ``InputError`` is a
``ValueError``, so callers that catch ValueError keep working.
"""


class InputError(ValueError):
    """Bad input from the user; the message names the parameter, file or field."""
