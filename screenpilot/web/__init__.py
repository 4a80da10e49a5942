"""The local web console (`screenpilot serve`): start runs, watch them live, confirm risky
actions, stop them, ground elements on uploaded pictures, and browse past runs - all through a
JSON API with an OpenAPI document. Needs the `web` extra (FastAPI, uvicorn, python-multipart).
"""
