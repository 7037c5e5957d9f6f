"""The benchmark's floor: a page that only draws a title (what any Streamlit run costs)."""

import streamlit as st

st.title("Floor")
