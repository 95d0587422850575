"""Streamlit helpers shared by the pages: the signed-in user, the database, error display."""
