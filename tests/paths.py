"""Where the project's files are, for tests in any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
SHARED_DATA = ROOT.parent / "shared" / "data"
