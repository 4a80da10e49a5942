"""The local web console (`screenpilot serve`): start runs, watch them live, confirm risky
actions, stop them, ground elements on uploaded pictures, and browse past runs - all through a
JSON API with an OpenAPI document. Needs the `web` extra (FastAPI, uvicorn, python-multipart).

`console` is the HTTP face, `security` its request guard (who may ask, and how much they
may send), `board` the live runs and the history, `device_identity` which device a spec
names, `runner` what runs one, `feed` the agent observer that reports its steps, `events` the
typed events a run sends, `uploads` the playground's picture checks, `serving` uvicorn.
`model_server` is the other server on the same stack: `screenpilot serve-model`, a local
Qwen3-VL behind the OpenAI chat-completions API.
"""
