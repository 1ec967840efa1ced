"""The minimal Flask route the verification throughput is compared with."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "ok"
