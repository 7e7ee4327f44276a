-- Series and files managed by an outside service (Sonarr) are looked up by that service's ids.
CREATE INDEX series_sonarr_id ON tvshow.series (sonarr_id) WHERE sonarr_id IS NOT NULL;
CREATE INDEX episode_files_sonarr_file_id ON tvshow.episode_files (sonarr_file_id)
    WHERE sonarr_file_id IS NOT NULL;
