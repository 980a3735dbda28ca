import streamlit as st
st.write('hubs')
