"""The one place errors are shown: a typed error's message, or a short generic line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.errors import TabletalkError

log = logging.getLogger("tabletalk.ui")
GENERIC = "Something went wrong on our side. Try again; if it keeps happening, tell your admin."


def show(error: BaseException) -> None:
    if isinstance(error, TabletalkError):
        st.error(error.message, icon=":material/error:")
    else:
        log.exception("unexpected error", exc_info=error)
        st.error(GENERIC, icon=":material/error:")


@contextmanager
def shown() -> Iterator[None]:
    """Run a block; any error becomes an ``st.error`` (never a traceback)."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - st.rerun/st.stop are BaseExceptions and pass
        show(error)
