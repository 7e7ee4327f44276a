-- River version 6 (River 0.12.0): unique jobs by state, checked by one unique index so that
-- batch inserts can use ON CONFLICT.

-- Is the job's state one of those set in the mask? Bit 7 (the rightmost character of the
-- bit(8) string, since get_bit counts from the left) is 'available', bit 0 is 'scheduled'.
-- IMMUTABLE because the unique index below calls it.
CREATE OR REPLACE FUNCTION river_job_state_in_bitmask(bitmask bit(8), state river_job_state)
    RETURNS boolean
    LANGUAGE sql
    IMMUTABLE
AS $$
    SELECT CASE state
        WHEN 'available' THEN get_bit(bitmask, 7)
        WHEN 'cancelled' THEN get_bit(bitmask, 6)
        WHEN 'completed' THEN get_bit(bitmask, 5)
        WHEN 'discarded' THEN get_bit(bitmask, 4)
        WHEN 'pending' THEN get_bit(bitmask, 3)
        WHEN 'retryable' THEN get_bit(bitmask, 2)
        WHEN 'running' THEN get_bit(bitmask, 1)
        WHEN 'scheduled' THEN get_bit(bitmask, 0)
        ELSE 0
    END = 1;
$$;

-- IF NOT EXISTS for the same reason as in version 5: the column and index may have been
-- prepared by hand, the index built CONCURRENTLY.
ALTER TABLE river_job ADD COLUMN IF NOT EXISTS unique_states bit(8);

CREATE UNIQUE INDEX IF NOT EXISTS river_job_unique_idx ON river_job (unique_key)
    WHERE unique_key IS NOT NULL
        AND unique_states IS NOT NULL
        AND river_job_state_in_bitmask(unique_states, state);

-- The per-kind index of version 5 is superseded. (riverqueue 0.7.0 from PyPI still names it
-- in ON CONFLICT, so its default unique insert stops working from here on.)
DROP INDEX river_job_kind_unique_key_idx;
