"""cocotb testbenches, one module per RTL kernel (each also a pytest file)."""
