import streamlit as st
st.write('overview')
