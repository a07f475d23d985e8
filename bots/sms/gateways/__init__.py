"""One module per SMS gateway: sending through it, and reading what it posts back."""
