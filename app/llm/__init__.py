"""One generation path: the openai client against any OpenAI-compatible endpoint, local or remote."""
