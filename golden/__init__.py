"""Golden models of the Edge-MoE accelerator: float reference and bit-exact fixed point."""
