"""A throwaway plugin distribution for riverhost's discovery tests."""
