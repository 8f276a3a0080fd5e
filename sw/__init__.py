"""Edge-MoE co-design kit: host software (CLI, driver, report); see golden/ and sim/ for the rest."""
__version__ = "0.1.0"
