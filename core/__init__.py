"""Tabletalk's behaviour: everything the pages call. Never imports streamlit."""
