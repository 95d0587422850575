"""Asking a question with the answer's words streamed into the chat as they arrive.

The pipeline runs in a worker thread that only pushes text chunks onto a queue; this
script thread turns the queue into the generator ``st.write_stream`` draws.
"""

from __future__ import annotations

import queue
import threading

import streamlit as st

from core.ask import ask
from ui import context, errors

_DONE = object()


def ask_streamed(chat_id, question: str) -> None:
    settings, uid = context.settings(), context.user_id()
    chunks: queue.Queue = queue.Queue()
    outcome: dict = {}

    def work() -> None:
        try:
            with context.db() as session:
                outcome["result"] = ask(
                    session, settings, uid, chat_id, question, on_chunk=chunks.put
                )
        except BaseException as error:  # noqa: BLE001 - shown below, in the script thread
            outcome["error"] = error
        finally:
            chunks.put(_DONE)

    def stream():
        while (item := chunks.get()) is not _DONE:
            yield item

    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        worker = threading.Thread(target=work, name="tabletalk-ask", daemon=True)
        with st.spinner("Thinking…"):
            worker.start()
            st.write_stream(stream())
        worker.join()
    if "error" in outcome:
        errors.show(outcome["error"])
        return
    st.rerun()
