"""Qwen3-VL behind one interface (`runtime.Runtime`): local transformers (`local`,
`qwen_processor`) or any OpenAI-compatible server (`openai_client`, on httpx with retries).
Around it: the `computer_use` / `mobile_use` tool calls and their exact translation to the
action vocabulary (`tool_calls`), the prompts (`prompts`), strict parsing of what the model
answers (`parsing`), and grounding with a confidence (`grounder`). `families` puts other
models (Qwen2.5-VL, UI-TARS-1.5) behind the native policy's prompt / answer seam, each with
its own prompt, answer format and coordinate frame."""
