"""The chat's datasets."""

from __future__ import annotations

import streamlit as st

st.title("Data")
st.info("Upload a CSV to start.")
