"""HTTP tests of the console's Today and price review pages."""
