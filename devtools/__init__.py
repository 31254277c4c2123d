"""Tools for the tests and benchmarks, not part of the app: the real server
started with ``streamlit run`` and what a browser does with its pages."""
