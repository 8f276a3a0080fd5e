"""Simulation: cocotb/Verilator runner and RTL testbenches."""
