"""Services that keep the job table healthy: today the scheduler; leader election, the rescuer,
the cleaner and periodic jobs join them (each in a module of its own)."""

from __future__ import annotations
