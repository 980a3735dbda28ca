import streamlit as st
st.write('grant_map')
