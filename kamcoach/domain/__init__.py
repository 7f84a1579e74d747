"""Domain objects and rules that need neither a database nor a language model."""
